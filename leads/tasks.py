from celery import shared_task

from crm import task_names

from .services.idempotency_keys import idempotency_keys_purge


@shared_task(name=task_names.IDEMPOTENCY_KEYS_PURGE)
def idempotency_keys_purge_task() -> int:
    return idempotency_keys_purge()
