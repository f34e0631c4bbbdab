from celery import shared_task

from .services import ROUTE_BATCH, lead_route, leads_escalate_overdue, leads_route_ready


@shared_task(name="assignment.lead_route")
def lead_route_task(lead_id: str) -> None:
    lead_route(lead_id=lead_id)


@shared_task(name="assignment.leads_route_ready", bind=True)
def leads_route_ready_task(self) -> int:
    examined, routed = leads_route_ready()
    if routed and examined == ROUTE_BATCH:
        # More may be waiting: go on in a new task rather than hold one worker for hours.
        self.apply_async()
    return routed


@shared_task(name="assignment.leads_escalate_overdue")
def leads_escalate_overdue_task() -> int:
    return leads_escalate_overdue()
