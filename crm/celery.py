import logging
import os
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import Celery, Task
from celery.signals import beat_init, worker_init
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

logger = logging.getLogger(__name__)


class CrmTask(Task):
    """The base of every task of the project.

    - A transient failure (the database or a mail server unreachable) is retried with
      exponential backoff and jitter; what still fails after the last retry is kept as a
      dead letter and the managers are told (crm/dead_letters.py).
    - A message is consumed once: the task records its message id in the same transaction as
      its work, so a message published twice by the outbox relay, or redelivered after a worker
      died, does nothing the second time. Long batch jobs (`dedupe_atomic = False`) commit in
      chunks of their own; they are idempotent, and record the id once they have finished.
    """

    autoretry_for = (OSError, OperationalError, InterfaceError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8
    dedupe_atomic = True
    # Tasks that send email say False: the email about their failure would most likely fail
    # as well, and each failure would queue more. Admin lists them like any other.
    announce_failure = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.called_directly:
            return super().__call__(*args, **kwargs)
        try:
            return self._consume(*args, **kwargs)
        except self.autoretry_for as exc:
            # autoretry covers run() only; the dedupe record and the commit are out here.
            countdown = get_exponential_backoff_interval(
                factor=1,
                retries=self.request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc

    def _consume(self, *args: Any, **kwargs: Any) -> Any:
        from .models import ConsumedMessage

        message_id = self.request.id
        if not self.dedupe_atomic:
            if ConsumedMessage.objects.filter(pk=message_id).exists():
                return None
            result = self.run(*args, **kwargs)
            ConsumedMessage.objects.get_or_create(message_id=message_id, task=self.name)
            return result
        with transaction.atomic():
            _, created = ConsumedMessage.objects.get_or_create(
                message_id=message_id, defaults={"task": self.name}
            )
            if not created:
                logger.info("%s[%s] ran already; redelivery ignored", self.name, message_id)
                return None
            return self.run(*args, **kwargs)

    def on_failure(
        self,
        exc: Exception,
        task_id: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo,
    ) -> None:
        from .dead_letters import dead_letter_record

        try:
            dead_letter_record(
                task=self.name,
                task_id=task_id or "",
                args=args,
                kwargs=kwargs,
                exc=exc,
                einfo=einfo,
                announce=self.announce_failure,
            )
        except Exception:
            # The database is down too: the log is the only record left.
            logger.critical(
                "%s[%s] failed and could not be kept: args=%r kwargs=%r error=%r",
                self.name, task_id, args, kwargs, exc, exc_info=True,
            )  # fmt: skip


app = Celery("crm", task_cls=CrmTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def secret_key_check(**kwargs: Any) -> None:
    # Workers sign unsubscribe links: with the development key they would not verify.
    from django.core.exceptions import ImproperlyConfigured

    from .secret_key import secret_key_require

    try:
        secret_key_require()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; exiting is what stops it.
        raise SystemExit(str(exc)) from exc
