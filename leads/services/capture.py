"""Capture: a marketing site's submission becomes a lead, deduplicated by email."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from ..emails import email_normalize
from ..models import ActivityType, Channel, Lead, LeadActivity, LeadStatus
from .effects import lead_changed

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
            metadata=json_safe(
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
def json_safe(value: Any) -> Any:
    """Decimals and model instances as plain JSON values, for activity metadata."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value
