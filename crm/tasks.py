from celery import shared_task

from .notifications import notification_send
from .outbox import outbox_relay


@shared_task(name="crm.notification_send", announce_failure=False)
def notification_send_task(notification_id: int) -> None:
    notification_send(notification_id=notification_id)


@shared_task(name="crm.outbox_relay", dedupe_atomic=False)
def outbox_relay_task() -> int:
    return outbox_relay()
