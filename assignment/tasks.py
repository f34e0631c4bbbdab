from celery import shared_task

from crm.effects import task_enqueue_on_commit

from .nurture import DUE_BATCH, nurture_advance, nurture_email_send, nurture_run_due
from .services import ROUTE_BATCH, lead_route, leads_escalate_overdue, leads_route_ready


@shared_task(name="assignment.lead_route")
def lead_route_task(lead_id: str) -> None:
    lead_route(lead_id=lead_id)


# The batch jobs below commit as they go and are safe to run twice (crm.celery.CrmTask).
@shared_task(name="assignment.leads_route_ready", dedupe_atomic=False)
def leads_route_ready_task() -> int:
    examined, routed = leads_route_ready()
    if routed and examined == ROUTE_BATCH:
        # More may be waiting: go on in a new task rather than hold one worker for hours.
        task_enqueue_on_commit("assignment.leads_route_ready")
    return routed


@shared_task(name="assignment.leads_escalate_overdue", dedupe_atomic=False)
def leads_escalate_overdue_task() -> int:
    return leads_escalate_overdue()


@shared_task(name="assignment.nurture_advance")
def nurture_advance_task(enrollment_id: int) -> bool:
    return nurture_advance(enrollment_id=enrollment_id)


@shared_task(name="assignment.nurture_run_due", dedupe_atomic=False)
def nurture_run_due_task() -> int:
    ran = nurture_run_due()
    if ran >= DUE_BATCH:
        task_enqueue_on_commit("assignment.nurture_run_due")  # more may be due: go on
    return ran


@shared_task(name="assignment.nurture_email_send", announce_failure=False)
def nurture_email_send_task(run_id: int) -> bool:
    return nurture_email_send(run_id=run_id)
