from celery import shared_task

from .services import lead_route, leads_escalate_overdue, leads_route_ready


@shared_task(name="assignment.lead_route")
def lead_route_task(lead_id: str) -> None:
    lead_route(lead_id=lead_id)


@shared_task(name="assignment.leads_route_ready")
def leads_route_ready_task() -> int:
    return leads_route_ready()


@shared_task(name="assignment.leads_escalate_overdue")
def leads_escalate_overdue_task() -> int:
    return leads_escalate_overdue()
