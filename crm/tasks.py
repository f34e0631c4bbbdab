from celery import shared_task

from .notifications import notification_send


@shared_task(
    name="crm.notification_send",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=8,
)
def notification_send_task(notification_id: int) -> None:
    notification_send(notification_id=notification_id)
