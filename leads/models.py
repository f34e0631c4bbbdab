import secrets
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey
from uuid6 import uuid7


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"
    CONVERTED = "converted", "Converted"


class Channel(models.TextChoices):
    FORM = "form", "Web form"
    CHAT = "chat", "Live chat"
    API = "api", "API"


class ActivityType(models.TextChoices):
    # Captures: one per submission, so nothing a visitor sent is lost.
    CAPTURED = "captured", "Captured"
    FORM_SUBMITTED = "form_submitted", "Form submitted"
    CHAT_STARTED = "chat_started", "Chat started"
    # Marketing behaviour, the input of behavioral scoring.
    EMAIL_OPENED = "email_opened", "Email opened"
    EMAIL_CLICKED = "email_clicked", "Email clicked"
    PAGE_VIEWED = "page_viewed", "Page viewed"
    DEMO_REQUESTED = "demo_requested", "Demo requested"
    # Sales work and lifecycle.
    CALL = "call", "Call"
    EMAIL_SENT = "email_sent", "Email sent"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    UPDATED = "updated", "Updated"
    ASSIGNED = "assigned", "Assigned"
    ESCALATED = "escalated", "Escalated"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"
    CONVERTED = "converted", "Converted"
    NURTURE_ENROLLED = "nurture_enrolled", "Nurture started"
    NURTURE_STEP = "nurture_step", "Nurture step"
    NURTURE_EXITED = "nurture_exited", "Nurture ended"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


# custom_fields keys the CRM writes itself (the BANT answers); submissions may not set them.
RESERVED_CUSTOM_FIELDS = frozenset({"bant"})


class Lead(models.Model):
    # Time-ordered (UUID version 7): leads are stored, indexed and rescored in the order they
    # arrive, so a range of ids is a run of neighbouring pages rather than a scatter over all.
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # Stored trimmed and lower-cased (a check constraint holds it), so the plain unique
    # index is a case-insensitive one and capture can upsert on it.
    email = models.EmailField(max_length=255)
    phone = models.CharField(max_length=50, blank=True)
    company = models.CharField(max_length=255, blank=True)

    title = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)

    lead_source = models.CharField(max_length=50, blank=True)
    lead_status = models.CharField(
        max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )

    score = models.IntegerField(default=0)
    grade = models.CharField(max_length=10, blank=True)

    qualified = models.BooleanField(default=False)
    qualified_at = models.DateTimeField(null=True, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,  # lead_owner_score_idx starts with it
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The owner's first call, email or meeting, or the move to contacted (response-time SLA).
    first_response_at = models.DateTimeField(null=True, blank=True)
    response_escalated_at = models.DateTimeField(null=True, blank=True)

    converted = models.BooleanField(default=False)
    converted_at = models.DateTimeField(null=True, blank=True)
    contact = models.ForeignKey(
        "conversion.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,  # lead_contact_idx, partial
    )

    custom_fields = models.JSONField(default=dict, blank=True)

    # Nurturing is assignment's: a lead's open NurtureEnrollment is its current sequence
    # (selectors.lead_nurture_annotate reads it).
    do_not_email = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Every index here is written again for each lead a rescore changes, so there are
            # as few as the pages need: no score index beside lead_hottest_idx, which serves
            # score filters too, and the search indexes live on LeadSearch.
            models.Index(fields=["lead_status"], name="lead_status_idx"),
            models.Index(fields=["lead_source"], name="lead_source_idx"),
            models.Index(fields=["created_at"], name="lead_created_idx"),
            # The queues: a rep's leads, and everyone's for managers, hottest first.
            models.Index(fields=["assigned_to", "-score"], name="lead_owner_score_idx"),
            models.Index(fields=["-score", "created_at"], name="lead_hottest_idx"),
            # Most leads have neither; a partial index is not written for a lead without one.
            models.Index(
                fields=["contact"],
                name="lead_contact_idx",
                condition=models.Q(contact__isnull=False),
            ),
        ]
        constraints = [
            # A constraint rather than unique=True: PostgreSQL then builds no extra LIKE index.
            models.UniqueConstraint(fields=["email"], name="lead_email_unique"),
            models.CheckConstraint(
                condition=models.Q(email=Lower(Trim("email"))), name="lead_email_normalized"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="lead_score_range"
            ),
            models.CheckConstraint(
                condition=models.Q(lead_status__in=LeadStatus.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(annual_revenue__isnull=True) | models.Q(annual_revenue__gte=0),
                name="lead_revenue_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadSearch(models.Model):
    """The text a lead is found by: first name, last name, email and company.

    Database triggers keep it (migration leads/0014), so every way of writing a lead, bulk
    and raw SQL included, keeps search right. It is a table of its own because its GIN
    indexes are expensive to write: on leads_lead, every lead a rescore changes would be
    added to them again, although its text did not change.
    """

    lead = models.OneToOneField(
        Lead, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    document = models.TextField()

    def __str__(self) -> str:
        return self.document


class LeadActivity(models.Model):
    """One entry of a lead's timeline; behavioral scoring reads these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    type = models.CharField(max_length=50, choices=ActivityType.choices)
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "lead activities"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="activity_lead_idx"),
            models.Index(fields=["type", "created_at"], name="activity_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} on {self.created_at:%Y-%m-%d %H:%M}"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class Task(models.Model):
    """A follow-up a rep owes a lead."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    title = models.CharField(max_length=255)
    priority = models.CharField(
        max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["owner", "completed_at", "due_at"], name="task_owner_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class FollowUpStep(models.Model):
    """The follow-up tasks a lead's owner gets when the lead is first assigned."""

    title = models.CharField(max_length=255)
    due_after_days = models.PositiveSmallIntegerField()
    priority = models.CharField(
        max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["due_after_days", "pk"]

    def __str__(self) -> str:
        return f"{self.title} (after {self.due_after_days} days)"


class CaptureKey(AbstractAPIKey):
    """The key a marketing site or integration sends as `Authorization: Api-Key <key>`.

    Only a hash is stored; the raw key is shown once, when it is created.
    """

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "capture key"
        verbose_name_plural = "capture keys"


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class CaptureForm(models.Model):
    """A web-to-lead form: a plain HTML form on a marketing site posts to /forms/<key>/.

    The key names the form; it is not a secret, since it stands in the page.
    """

    name = models.CharField(max_length=100)
    key = models.CharField(max_length=32, unique=True, default=new_form_key, editable=False)
    success_url = models.URLField(help_text="Where the visitor is sent after submitting.")
    allowed_origins = models.TextField(
        blank=True,
        help_text="One origin per line, e.g. https://www.example.com. Empty accepts any site.",
    )
    default_source = models.CharField(max_length=50, default="website_form")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> set[str]:
        return {
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        }


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a capture key sent, and the response its request got.

    A row without a status is a request still running. The unique constraint is what makes
    concurrent requests with one key safe: only one of them inserts the row and runs.
    """

    capture_key = models.ForeignKey(
        CaptureKey, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path, content type and body: a reuse for another request is an
    # error, not a replay.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response as rendered JSON text, so a replay has the original's keys in their order.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["capture_key", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key


class LeadChange(models.Model):
    """One change of a lead's owner, status or score, with the values before and after.

    Rows are written by a database trigger on leads_lead (migration 0012), not by Python, so
    every path leaves its trace: the set-based rescore, admin, the API, a manual UPDATE.
    """

    # No database constraint: the trigger copies the id from the lead row it is writing, and a
    # constraint would look that lead up again and lock it, once per row of a rescore. Deleting
    # a lead through Django still deletes its history.
    lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        related_name="changes",
        db_index=False,
        db_constraint=False,
    )
    changed_at = models.DateTimeField()
    owner_before = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_after = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_before = models.CharField(max_length=20, choices=LeadStatus.choices)
    status_after = models.CharField(max_length=20, choices=LeadStatus.choices)
    score_before = models.IntegerField()
    score_after = models.IntegerField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["lead", "-changed_at"], name="leadchange_lead_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id} at {self.changed_at:%Y-%m-%d %H:%M}"
