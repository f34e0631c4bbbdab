"""The end of a lead's life as a lead: qualified or not (BANT), and converted."""

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import User

from ..models import ActivityType, Lead, LeadActivity, LeadStatus, Task, TaskPriority
from .nurture import nurture_leave
from .ownership import tasks_close_open

DISCOVERY_CALL = "Schedule discovery call"


class LeadClosed(ValueError):
    """The lead was converted: it can no longer be qualified or converted."""


@dataclass(frozen=True)
class Bant:
    has_budget: bool
    has_authority: bool
    has_need: bool
    has_timeline: bool
    notes: str = ""

    @property
    def qualified(self) -> bool:
        return self.has_budget and self.has_authority and self.has_need and self.has_timeline


def lead_qualify(*, lead: Lead, bant: Bant, by: User) -> Lead:
    """Record a rep's BANT verdict. All four: qualified, and a discovery call to schedule;
    anything less: unqualified, and nothing more is owed (open tasks close)."""
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.converted:
            raise LeadClosed("This lead is converted; its qualification is settled.")
        lead.qualified = bant.qualified
        lead.qualified_at = now if bant.qualified else None
        lead.lead_status = LeadStatus.QUALIFIED if bant.qualified else LeadStatus.UNQUALIFIED
        lead.custom_fields = {
            **(lead.custom_fields or {}),
            "bant": {**asdict(bant), "at": now.isoformat()},
        }
        lead.save(
            update_fields=[
                "qualified",
                "qualified_at",
                "lead_status",
                "custom_fields",
                "updated_at",
            ]
        )
        nurture_leave(lead)
        LeadActivity.objects.create(
            lead=lead,
            type=ActivityType.QUALIFIED if bant.qualified else ActivityType.DISQUALIFIED,
            description=bant.notes,
            metadata=asdict(bant),
            created_by=by,
        )
        if bant.qualified:
            Task.objects.create(
                lead=lead,
                owner=lead.assigned_to or by,
                title=DISCOVERY_CALL,
                priority=TaskPriority.HIGH,
                due_at=now + timedelta(hours=24),
            )
        else:
            tasks_close_open(lead=lead)
    return lead


def lead_mark_converted(*, lead: Lead, contact_id, by: User, details: dict) -> Lead:
    """Part of a conversion's transaction: the lead is done, linked to its contact."""
    lead.converted = True
    lead.converted_at = timezone.now()
    lead.contact_id = contact_id
    lead.lead_status = LeadStatus.CONVERTED
    lead.save(update_fields=["converted", "converted_at", "contact", "lead_status", "updated_at"])
    nurture_leave(lead)
    LeadActivity.objects.create(
        lead=lead,
        type=ActivityType.CONVERTED,
        description="Converted",
        metadata=details,
        created_by=by,
    )
    tasks_close_open(lead=lead)
    return lead
