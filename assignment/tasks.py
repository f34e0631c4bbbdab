from celery import shared_task

from .nurture import DUE_BATCH, nurture_advance, nurture_email_send, nurture_run_due
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


@shared_task(name="assignment.nurture_advance")
def nurture_advance_task(enrollment_id: int) -> bool:
    return nurture_advance(enrollment_id=enrollment_id)


@shared_task(name="assignment.nurture_run_due", bind=True)
def nurture_run_due_task(self) -> int:
    ran = nurture_run_due()
    if ran >= DUE_BATCH:
        self.apply_async()  # more may be due: go on in a new task
    return ran


@shared_task(
    name="assignment.nurture_email_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def nurture_email_send_task(run_id: int) -> bool:
    return nurture_email_send(run_id=run_id)
