"""The lead's timeline: activities reps log and events marketing tools report."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import User

from ..emails import email_normalize
from ..models import ActivityType, Lead, LeadActivity
from .after_change import lead_changed
from .ownership import RESPONSE_TYPES, lead_response_record

# Activities a rep logs by hand, and those marketing tools report through the events API.
LOGGABLE_TYPES = (
    ActivityType.CALL,
    ActivityType.EMAIL_SENT,
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
    occurred_at: datetime | None = None,
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
        if type in RESPONSE_TYPES and by is not None and by.pk == lead.assigned_to_id:
            lead_response_record(lead=lead, at=activity.created_at)
        lead_changed(lead)
    return activity


class LeadNotFound(LookupError):
    pass


def lead_event_record(
    *,
    email: str,
    type: str,
    description: str = "",
    occurred_at: datetime | None = None,
    received_via: str = "",
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
