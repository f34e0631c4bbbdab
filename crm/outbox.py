"""The transactional outbox: side effects survive a broker outage or a crash after commit.

A write records each task it calls for as an OutboxMessage row in its own transaction, so
the task is sent if and only if the write commits. Right after the commit the same process
publishes the rows it wrote (the kick); whatever it could not publish (Redis down, the process
killed in between) the relay publishes later, claiming rows with SKIP LOCKED so that relays on
several workers never send the same row twice at once. A row may still be published twice
(the relay dies after publishing, before deleting): consumers ignore a message id they have
consumed already (crm.tasks.CrmTask).
"""

import logging
import traceback
from datetime import timedelta

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import ConsumedMessage, OutboxMessage

logger = logging.getLogger(__name__)

# Rows younger than this are left to the kick of the transaction that wrote them.
RELAY_GRACE = timedelta(seconds=30)
RELAY_BATCH = 500
# Redeliveries come within the broker's visibility timeout (an hour); a week is ample.
CONSUMED_KEEP = timedelta(days=7)


def outbox_add(task_name: str, *args: object) -> OutboxMessage:
    """Record `task_name(*args)` to run once the current transaction commits."""
    message = OutboxMessage.objects.create(task=task_name, args=list(args))
    transaction.on_commit(lambda: outbox_publish([message]), robust=True)
    return message


def outbox_publish(messages: list[OutboxMessage]) -> int:
    """Hand the messages to Celery and delete their rows; stop at the first broker error.

    Returns how many were published. The rows of the rest stay for the relay. A message that
    can never be published (its task no longer exists) becomes a dead letter, so it neither
    blocks the messages behind it nor is lost.
    """
    done = []
    try:
        for message in messages:
            try:
                _publish(message)
            except (BrokerError, OSError):
                raise
            except Exception as exc:
                _dead_letter(message, exc)
            done.append(message.pk)
    except (BrokerError, OSError) as exc:
        failed = messages[len(done)]
        logger.warning("Broker unavailable, %s waits in the outbox: %s", failed, exc)
        OutboxMessage.objects.filter(pk=failed.pk).update(
            attempts=failed.attempts + 1, last_error=str(exc)[:1000]
        )
    finally:
        if done:
            _delete(done)
    return len(done)


def _delete(ids: list) -> None:
    # One statement: QuerySet.delete() wraps itself in a transaction, which after a capture's
    # commit costs two more round trips on the hottest path.
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ({placeholders})",
            [OutboxMessage._meta.pk.get_db_prep_value(pk, connection) for pk in ids],
        )


def _publish(message: OutboxMessage) -> None:
    app = current_app
    task = app.tasks[message.task]
    if app.conf.task_always_eager:
        # Running it is publishing it; a failure is the task's own (dead-lettered).
        task.apply(args=message.args, task_id=str(message.pk), throw=False)
    else:
        task.apply_async(args=message.args, task_id=str(message.pk), retry=False)


def _dead_letter(message: OutboxMessage, exc: Exception) -> None:
    from .dead_letters import dead_letter_record  # it queues emails through this module

    logger.exception("%s cannot be published", message)
    dead_letter_record(
        task=message.task,
        task_id=str(message.pk),
        args=message.args,
        kwargs={},
        exc=exc,
        einfo=traceback.format_exc(),
    )


def outbox_relay(*, grace: timedelta = RELAY_GRACE) -> int:
    """Publish every pending message older than `grace`; returns how many were published."""
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(created_at__lte=timezone.now() - grace)
                .order_by("created_at")[:RELAY_BATCH]
            )
            published = outbox_publish(batch) if batch else 0
        total += published
        if published < RELAY_BATCH:
            break
    ConsumedMessage.objects.filter(consumed_at__lt=timezone.now() - CONSUMED_KEEP).delete()
    return total
