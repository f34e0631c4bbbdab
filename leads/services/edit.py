"""Edits of a lead by its rep or a manager."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import User

from ..emails import email_normalize
from ..models import RESERVED_CUSTOM_FIELDS, ActivityType, Lead, LeadActivity, LeadStatus
from ..selectors import CLOSED_STATUSES
from .after_change import lead_changed
from .capture import CAPTURE_FIELDS, json_safe
from .nurture import leads_nurture_leave
from .ownership import lead_assign, lead_response_record

EDITABLE_FIELDS = frozenset({*CAPTURE_FIELDS, "lead_source", "lead_status", "custom_fields"})
# The email is the lead's identity across the CRM; and were reps to change it, "another lead
# has this email" would tell them which addresses other reps' leads hold.
MANAGER_FIELDS = frozenset({"assigned_to", "email"})
# Only the workflows write these (scoring, routing, the response-time SLA, qualification,
# conversion, unsubscribing), each through its own service: no edit, form, serializer or
# admin page sets them, for anyone. The owner is a manager's edit, made by lead_assign.
WORKFLOW_FIELDS = (
    "score",
    "grade",
    "qualified",
    "qualified_at",
    "assigned_at",
    "first_response_at",
    "response_escalated_at",
    "converted",
    "converted_at",
    "contact",
    "do_not_email",
)
# What Django and the database set.
RECORD_FIELDS = ("id", "created_at", "updated_at")


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
            if name == "custom_fields":
                # An edit replaces the custom fields, but never the CRM's own (the BANT answers).
                kept = {
                    k: v
                    for k, v in (lead.custom_fields or {}).items()
                    if k in RESERVED_CUSTOM_FIELDS
                }
                value = {**value, **kept}
            old = getattr(lead, name)
            if old != value:
                changes[name] = [old, value]
                setattr(lead, name, value)
        if not changes:
            return lead

        new_owner = changes.pop("assigned_to", None)
        if new_owner is not None:
            lead.assigned_to = new_owner[0]  # lead_assign makes the change, with its timeline
        if changes:
            lead.save(update_fields=[*changes, "updated_at"])
        if new_owner is not None:
            lead = lead_assign(lead=lead, to=new_owner[1], by=by)
        new_status = changes.get("lead_status", [None, None])[1]
        if new_status == LeadStatus.CONTACTED:
            lead_response_record(lead=lead, at=timezone.now())
        if new_status in CLOSED_STATUSES:
            # Only qualifying and converting reach these today (lead_status_change_check);
            # should an edit ever do it, the lead leaves nurturing as it does there.
            leads_nurture_leave(lead_ids=[lead.pk])
        if changes:
            LeadActivity.objects.create(
                lead=lead,
                type=ActivityType.UPDATED,
                description="Updated " + ", ".join(sorted(changes)),
                metadata=json_safe({"changes": changes}),
                created_by=by,
            )
        lead_changed(lead)
    return lead
