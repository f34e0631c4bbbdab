"""Writes to leads. Every write is one transaction; side effects leave through crm.effects."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.effects import tasks_enqueue_on_commit
from crm.models import User

from .models import ActivityType, Channel, Lead, LeadActivity, LeadStatus

# The lead columns a capture may fill; everything else a site sends is kept on the activity.
CAPTURE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "company",
    "title",
    "industry",
    "employee_count",
    "annual_revenue",
)

DEFAULT_SOURCE = {
    Channel.FORM: "website_form",
    Channel.CHAT: "live_chat",
    Channel.API: "api",
}

CAPTURE_ACTIVITY = {
    Channel.FORM: ActivityType.FORM_SUBMITTED,
    Channel.CHAT: ActivityType.CHAT_STARTED,
    Channel.API: ActivityType.CAPTURED,
}


@dataclass(frozen=True)
class CaptureResult:
    lead: Lead
    created: bool


def email_normalize(email: str) -> str:
    return email.strip().lower()


def lead_capture(
    *,
    email: str,
    channel: str = Channel.API,
    source: str = "",
    default_source: str = "",
    values: dict[str, Any] | None = None,
    custom_fields: dict[str, Any] | None = None,
    message: str = "",
    chat_transcript: str = "",
    received_via: str = "",
    extra: dict[str, Any] | None = None,
) -> CaptureResult:
    """Create the lead for this email, or update the one that has it.

    Submitted non-empty values overwrite; absent or empty ones never erase; custom_fields
    merge key by key. `source` is the lead source as submitted (it overwrites);
    `default_source` names a new lead's source when none was submitted. Every call appends
    a capture activity holding what was sent.
    Race-free: the unique index on the normalized email decides who inserts, and the loser
    of a concurrent insert updates the winner's row under a row lock.
    """
    email = email_normalize(email)
    values = {
        k: v for k, v in (values or {}).items() if k in CAPTURE_FIELDS and v not in (None, "")
    }
    custom_fields = {k: v for k, v in (custom_fields or {}).items() if v not in (None, "")}
    channel = Channel(channel)
    first_source = source or default_source or DEFAULT_SOURCE[channel]

    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(email=email).first()
        created = False
        if lead is None:
            try:
                # A savepoint, so a lost insert race leaves the outer transaction usable.
                with transaction.atomic():
                    lead = Lead.objects.create(
                        email=email,
                        lead_source=first_source,
                        lead_status=LeadStatus.CONTACTED
                        if channel == Channel.CHAT
                        else LeadStatus.NEW,
                        custom_fields=custom_fields,
                        **values,
                    )
                created = True
            except IntegrityError:
                # Under READ COMMITTED the winner's row is visible once its insert committed,
                # which is what our insert waited for. No row means another constraint failed.
                lead = Lead.objects.select_for_update().filter(email=email).first()
                if lead is None:
                    raise
        if not created:
            _lead_merge(
                lead, channel=channel, source=source, values=values, custom_fields=custom_fields
            )

        LeadActivity.objects.create(
            lead=lead,
            type=CAPTURE_ACTIVITY[channel],
            description=message,
            metadata=_json_safe(
                {
                    "channel": channel.value,
                    "source": first_source,
                    "received_via": received_via,
                    "new_lead": created,
                    "submitted": {**values, "custom_fields": custom_fields}
                    if custom_fields
                    else values,
                    **({"chat_transcript": chat_transcript} if chat_transcript else {}),
                    **({"extra": extra} if extra else {}),
                }
            ),
        )
        lead_changed(lead)
    return CaptureResult(lead=lead, created=created)


def lead_changed(lead: Lead) -> None:
    """The seam: what follows any change to a lead (scoring, then routing) starts on commit."""
    tasks_enqueue_on_commit(settings.LEAD_CHANGED_TASKS, str(lead.pk))


# Activities a rep logs by hand, and those marketing tools report through the events API.
LOGGABLE_TYPES = (
    ActivityType.CALL,
    ActivityType.EMAIL,
    ActivityType.MEETING,
    ActivityType.NOTE,
)
EVENT_TYPES = (
    ActivityType.EMAIL_OPENED,
    ActivityType.EMAIL_CLICKED,
    ActivityType.PAGE_VIEWED,
    ActivityType.FORM_SUBMITTED,
    ActivityType.DEMO_REQUESTED,
)


def lead_activity_log(
    *,
    lead: Lead,
    type: str,
    description: str = "",
    by: User | None = None,
    occurred_at=None,
    metadata: dict[str, Any] | None = None,
) -> LeadActivity:
    """Append to the lead's timeline; the lead is rescored once this commits."""
    with transaction.atomic():
        activity = LeadActivity.objects.create(
            lead=lead,
            type=type,
            description=description,
            created_by=by,
            created_at=occurred_at or timezone.now(),
            metadata=metadata or {},
        )
        lead_changed(lead)
    return activity


class LeadNotFound(LookupError):
    pass


def lead_event_record(
    *, email: str, type: str, description: str = "", occurred_at=None, received_via: str = ""
) -> LeadActivity:
    """A marketing tool reports what a known lead did; unknown emails are refused, not created."""
    lead = Lead.objects.filter(email=email_normalize(email)).first()
    if lead is None:
        raise LeadNotFound(f"No lead has the email {email_normalize(email)}.")
    return lead_activity_log(
        lead=lead,
        type=type,
        description=description,
        occurred_at=occurred_at,
        metadata={"received_via": received_via} if received_via else None,
    )


def _lead_merge(
    lead: Lead,
    *,
    channel: Channel,
    source: str,
    values: dict[str, Any],
    custom_fields: dict[str, Any],
) -> None:
    changed = [name for name, value in values.items() if getattr(lead, name) != value]
    for name in changed:
        setattr(lead, name, values[name])
    if source and source != lead.lead_source:
        lead.lead_source = source
        changed.append("lead_source")
    if custom_fields:
        merged = {**(lead.custom_fields or {}), **custom_fields}
        if merged != lead.custom_fields:
            lead.custom_fields = merged
            changed.append("custom_fields")
    # A chat is an outreach: it moves a new lead on, and never moves any other back.
    if channel == Channel.CHAT and lead.lead_status == LeadStatus.NEW:
        lead.lead_status = LeadStatus.CONTACTED
        changed.append("lead_status")
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])


# Fields a PATCH may change; score, grade, qualification and conversion belong to their
# own workflows, and only managers hand leads out.
EDITABLE_FIELDS = frozenset(
    {*CAPTURE_FIELDS, "email", "lead_source", "lead_status", "custom_fields"}
)
MANAGER_FIELDS = frozenset({"assigned_to"})


def lead_editable_fields(user: User) -> frozenset[str]:
    return EDITABLE_FIELDS | MANAGER_FIELDS if user.is_manager else EDITABLE_FIELDS


# A rep moves a lead between these by hand; qualifying and converting have their own actions.
MANUAL_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED})


class LeadUpdateError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def lead_status_change_check(current: str, new: str) -> None:
    if new != current and not (current in MANUAL_STATUSES and new in MANUAL_STATUSES):
        raise LeadUpdateError(
            "lead_status",
            f"A lead goes from {current} to {new} by qualifying or converting it, "
            "not by editing its status.",
        )


def lead_update(*, lead: Lead, data: dict[str, Any], by: User) -> Lead:
    """Apply a rep's or manager's edit, and record what changed on the timeline."""
    unknown = set(data) - lead_editable_fields(by)
    if unknown:
        raise LeadUpdateError(sorted(unknown)[0], "You cannot change this field.")

    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if "lead_status" in data:
            lead_status_change_check(lead.lead_status, data["lead_status"])
        changes: dict[str, list[Any]] = {}
        for name, value in data.items():
            if name == "email":
                value = email_normalize(value)
            old = getattr(lead, name)
            if old != value:
                changes[name] = [old, value]
                setattr(lead, name, value)
        if not changes:
            return lead

        update_fields = [*changes, "updated_at"]
        if "assigned_to" in changes:
            lead.assigned_at = timezone.now() if lead.assigned_to else None
            update_fields.append("assigned_at")
        lead.save(update_fields=update_fields)

        if "assigned_to" in changes:
            owner = lead.assigned_to
            LeadActivity.objects.create(
                lead=lead,
                type=ActivityType.ASSIGNED,
                description=f"Assigned to {owner.get_full_name() or owner.username}"
                if owner
                else "Unassigned",
                metadata={"assigned_to": owner.pk if owner else None, "by": by.pk},
                created_by=by,
            )
            del changes["assigned_to"]
        if changes:
            LeadActivity.objects.create(
                lead=lead,
                type=ActivityType.UPDATED,
                description="Updated " + ", ".join(sorted(changes)),
                metadata=_json_safe({"changes": changes}),
                created_by=by,
            )
        lead_changed(lead)
    return lead


def _json_safe(value: Any) -> Any:
    """Decimals and model instances as plain JSON values, for activity metadata."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value
