from celery import shared_task

from . import task_names
from .celery import CrmTask
from .notifications import notification_send
from .outbox import outbox_relay


@shared_task(name=task_names.NOTIFICATION_SEND, base=CrmTask, announce_failure=False)
def notification_send_task(notification_id: int) -> None:
    notification_send(notification_id=notification_id)


@shared_task(name=task_names.OUTBOX_RELAY, base=CrmTask, dedupe_atomic=False)
def outbox_relay_task() -> int:
    return outbox_relay()
