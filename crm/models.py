from django.contrib.auth.models import AbstractUser
from django.db import models


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

    class Meta(AbstractUser.Meta):
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
    def load(cls):
        row, _ = cls.objects.get_or_create(pk=1)
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
