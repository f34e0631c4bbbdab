"""Capture: a marketing site's submission becomes a lead, deduplicated by email."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from ..emails import email_normalize
from ..models import ActivityType, Channel, Lead, LeadActivity, LeadStatus
from .after_change import lead_changed

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
    """Create the lead for this email, or fill in the one that has it.

    Whoever posts a capture is an outsider (a visitor, a marketing site), so a known lead
    only gains: submitted values fill its empty fields, new custom-field keys are added, and
    nothing it has is replaced or erased, its lead source included. `source` is the lead
    source as submitted; `default_source` names a new lead's source when none was submitted.
    Every call appends a capture activity holding what was sent, with the values that differ
    from the lead's listed as not applied, for the rep to judge.
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
        lead = Lead(
            email=email,
            lead_source=first_source,
            lead_status=LeadStatus.CONTACTED if channel == Channel.CHAT else LeadStatus.NEW,
            custom_fields=custom_fields,
            **values,
        )
        created = _lead_insert_new(lead)
        not_applied: dict[str, Any] = {}
        if not created:
            known = Lead.objects.select_for_update().filter(email=email).first()
            if known is None:
                # Not the email then: another constraint refused the row (SQLite ignores those too).
                raise IntegrityError(f"The lead for {email} could not be inserted.")
            lead = known
            not_applied = _lead_merge(
                lead, channel=channel, source=source, values=values, custom_fields=custom_fields
            )

        LeadActivity.objects.create(
            lead=lead,
            type=CAPTURE_ACTIVITY[channel],
            description=_described(message, not_applied),
            metadata=json_safe(
                {
                    "channel": channel.value,
                    "source": first_source,
                    "received_via": received_via,
                    "new_lead": created,
                    "submitted": {**values, "custom_fields": custom_fields}
                    if custom_fields
                    else values,
                    **({"not_applied": not_applied} if not_applied else {}),
                    **({"chat_transcript": chat_transcript} if chat_transcript else {}),
                    **({"extra": extra} if extra else {}),
                }
            ),
        )
        lead_changed(lead)
    return CaptureResult(lead=lead, created=created)


def _lead_insert_new(lead: Lead) -> bool:
    """Insert `lead` unless a lead has its email; return whether this inserted it.

    One statement either way (INSERT ... ON CONFLICT DO NOTHING; INSERT OR IGNORE on SQLite),
    since most captures are of new emails. Under READ COMMITTED an insert racing a concurrent
    one of the same email waits for it, and does nothing once that one has committed; the
    row lock taken next then finds the winner's row.
    """
    query = InsertQuery(Lead, on_conflict=OnConflict.IGNORE)
    query.insert_values(Lead._meta.local_concrete_fields, [lead])
    with connection.cursor() as cursor:
        for sql, params in query.get_compiler(connection=connection).as_sql():
            cursor.execute(sql, params)
        inserted = cursor.rowcount == 1
    if inserted:
        lead._state.adding = False
        lead._state.db = connection.alias
    return inserted


def _lead_merge(
    lead: Lead,
    *,
    channel: Channel,
    source: str,
    values: dict[str, Any],
    custom_fields: dict[str, Any],
) -> dict[str, Any]:
    """Fill the lead's empty fields; return the submitted values that differ from its own.

    A rep may have corrected a phone or learned a title since; a form anyone can post must
    not undo that, nor let a stranger rewrite a lead by knowing its email.
    """
    changed: list[str] = []
    not_applied: dict[str, Any] = {}
    for name, value in values.items():
        current = getattr(lead, name)
        if current in (None, ""):
            setattr(lead, name, value)
            changed.append(name)
        elif current != value:
            not_applied[name] = value
    if source and source != lead.lead_source:
        if lead.lead_source:
            not_applied["source"] = source
        else:
            lead.lead_source = source
            changed.append("lead_source")
    if custom_fields:
        current_fields = lead.custom_fields or {}
        added = {k: v for k, v in custom_fields.items() if k not in current_fields}
        differing = {
            k: v for k, v in custom_fields.items() if k in current_fields and current_fields[k] != v
        }
        if added:
            lead.custom_fields = {**current_fields, **added}
            changed.append("custom_fields")
        if differing:
            not_applied["custom_fields"] = differing
    # A chat is an outreach: it moves a new lead on, and never moves any other back. Once a rep
    # owns the lead its status is the rep's to set, not a chat widget's.
    if channel == Channel.CHAT and lead.lead_status == LeadStatus.NEW and not lead.assigned_to_id:
        lead.lead_status = LeadStatus.CONTACTED
        changed.append("lead_status")
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
    return not_applied


def _described(message: str, not_applied: dict[str, Any]) -> str:
    """The visitor's message, then what they sent that the lead keeps otherwise: the timeline
    shows descriptions, so this is where a rep sees it."""
    if not not_applied:
        return message
    shown = [
        (_verbose_name("lead_source" if name == "source" else name), value)
        for name, value in not_applied.items()
        if name != "custom_fields"
    ]
    shown += list(not_applied.get("custom_fields", {}).items())
    listed = "; ".join(f"{name}: {json_safe(value)}" for name, value in shown)
    note = f"Not applied, the lead has other values: {listed}"
    return f"{message}\n\n{note}" if message else note


def _verbose_name(name: str) -> str:
    # Captured names are the lead's own columns; a relation's reverse side has no verbose name.
    field = Lead._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


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
