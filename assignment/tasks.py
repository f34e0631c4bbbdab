from celery import shared_task

from crm import task_names
from crm.celery import CrmTask
from crm.effects import task_enqueue_on_commit

from .nurture.emails import nurture_email_send
from .nurture.leaving import nurture_leave
from .nurture.steps import DUE_BATCH, nurture_advance, nurture_run_due
from .services import ROUTE_BATCH, lead_route, leads_escalate_overdue, leads_route_ready


@shared_task(name=task_names.LEAD_ROUTE, base=CrmTask)
def lead_route_task(lead_id: str) -> None:
    lead_route(lead_id=lead_id)


# The batch jobs below commit as they go and are safe to run twice (crm.celery.CrmTask).
@shared_task(name=task_names.LEADS_ROUTE_READY, base=CrmTask, dedupe_atomic=False)
def leads_route_ready_task() -> int:
    examined, routed = leads_route_ready()
    if routed and examined == ROUTE_BATCH:
        # More may be waiting: go on in a new task rather than hold one worker for hours.
        task_enqueue_on_commit(task_names.LEADS_ROUTE_READY)
    return routed


@shared_task(name=task_names.LEADS_ESCALATE_OVERDUE, base=CrmTask, dedupe_atomic=False)
def leads_escalate_overdue_task() -> int:
    return leads_escalate_overdue()


@shared_task(name=task_names.NURTURE_ADVANCE, base=CrmTask)
def nurture_advance_task(enrollment_id: int) -> bool:
    return nurture_advance(enrollment_id=enrollment_id)


@shared_task(name=task_names.NURTURE_RUN_DUE, base=CrmTask, dedupe_atomic=False)
def nurture_run_due_task() -> int:
    ran = nurture_run_due()
    if ran >= DUE_BATCH:
        task_enqueue_on_commit(task_names.NURTURE_RUN_DUE)  # more may be due: go on
    return ran


@shared_task(name=task_names.NURTURE_EMAIL_SEND, base=CrmTask, announce_failure=False)
def nurture_email_send_task(run_id: int) -> bool:
    return nurture_email_send(run_id=run_id)


# A rescore chunk sends thousands of leads at once: closed a batch per transaction.
@shared_task(name=task_names.NURTURE_LEAVE, base=CrmTask, dedupe_atomic=False)
def nurture_leave_task(lead_ids: list[str]) -> int:
    return nurture_leave(lead_ids=lead_ids)
