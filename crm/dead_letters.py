"""Tasks that failed for good: kept, shown in admin, retried by hand, and the managers told."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from billiard.einfo import ExceptionInfo
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .effects import task_enqueue_on_commit
from .models import DeadLetter
from .notifications import managers_notify

logger = logging.getLogger(__name__)


def dead_letter_record(
    *,
    task: str,
    task_id: str,
    args: Sequence[Any] | None,
    kwargs: Mapping[str, Any] | None,
    exc: BaseException,
    einfo: ExceptionInfo | str | None,
    announce: bool = True,
) -> DeadLetter:
    """Keep the failed task; with `announce`, email the managers about it."""
    with transaction.atomic():
        letter = DeadLetter.objects.create(
            task=task,
            task_id=task_id,
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback=str(einfo or "")[:20000],
        )
        if announce:
            managers_notify(
                key=f"dead-letter:{letter.pk}",
                template="crm/email/task_failed",
                context={"task": task, "error": letter.error, "letter_id": letter.pk},
            )
    logger.error("%s[%s] failed after its retries: %s", task, task_id, letter.error)
    return letter


def dead_letters_retry(letters: QuerySet[DeadLetter]) -> int:
    """Send each failed task again, as a new message; returns how many were sent."""
    with transaction.atomic():
        pending = list(letters.select_for_update().filter(retried_at__isnull=True))
        for letter in pending:
            task_enqueue_on_commit(letter.task, *letter.args)
        DeadLetter.objects.filter(pk__in=[letter.pk for letter in pending]).update(
            retried_at=timezone.now()
        )
    return len(pending)
