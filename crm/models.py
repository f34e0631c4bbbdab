import uuid
from typing import Self

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Sales manager"


class User(AbstractUser):
    """A person who signs in: a sales rep, a sales manager, or an administrator.

    Routing fields live on the user rather than a profile, so the queries that pick the
    next rep need no join.
    """

    role = models.CharField(max_length=16, choices=Role.choices, blank=True, db_index=True)
    is_available = models.BooleanField(
        default=True, help_text="Reps who are away are skipped by lead routing."
    )
    max_open_leads = models.PositiveIntegerField(
        null=True, blank=True, help_text="Routing stops giving this rep leads at this many open."
    )

    # django-stubs declares no AbstractUser.Meta; Django defines it (verbose names, abstract).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER or self.is_superuser

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP


class SettingsModel(models.Model):
    """A table of one row (pk 1) holding settings that managers edit in admin."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self._meta.verbose_name).capitalize()

    @classmethod
    def load(cls) -> Self:
        row, _ = cls._default_manager.get_or_create(pk=1)
        return row


class Notification(models.Model):
    """An email to a user, sent at most once: `key` names the event it is about.

    Whoever wants an email sent creates the row (get_or_create on the key) and a task sends
    it; a retried or redelivered task finds the row already sent and does nothing.
    """

    key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that calls for it.

    A row here means "not handed to the broker yet": it is deleted once published, so the
    table stays small. If the broker is down or the process dies after the commit, the row
    waits and the relay (crm.outbox_relay, every minute) publishes it later. Its id is the
    Celery task id, which consumers record to ignore a message they have handled already.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "pending task"

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class ConsumedMessage(models.Model):
    """A task message that has run to completion: a redelivery of it does nothing."""

    message_id = models.CharField(max_length=64, primary_key=True)
    task = models.CharField(max_length=200)
    consumed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.task}[{self.message_id}]"


class DeadLetter(models.Model):
    """A task that failed after all its retries, kept so that nothing is silently lost."""

    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = "failed task"

    def __str__(self) -> str:
        return f"{self.task} failed {self.failed_at:%Y-%m-%d %H:%M}"
