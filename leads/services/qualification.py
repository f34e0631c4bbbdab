"""The end of a lead's life as a lead: qualified (by a rep's BANT or by its score) or not,
and converted."""

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from crm.models import User

from ..models import ActivityType, Lead, LeadActivity, LeadStatus, Task, TaskPriority
from .events import TimelineEntry, timeline_entries_add
from .nurture import leads_nurture_leave
from .ownership import tasks_close_open

DISCOVERY_CALL = "Schedule discovery call"
DISCOVERY_CALL_DUE = timedelta(hours=24)


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


@dataclass(frozen=True)
class Qualification:
    """One lead newly qualified: whose the discovery call is, and why, for its timeline."""

    lead_id: UUID
    owner_id: int | None
    why: str
    metadata: dict = field(default_factory=dict)
    call: bool = True  # False when the lead has an open discovery call already


def qualified_fields(now: datetime) -> dict[str, object]:
    """A qualified lead's fields, whatever qualified it. Sales has the lead now, so it may no
    longer be nurtured: what the qualification owes (qualifications_record) includes leaving."""
    return {
        "qualified": True,
        "qualified_at": now,
        "lead_status": LeadStatus.QUALIFIED,
    }


def qualifications_record(
    *, qualified: Sequence[Qualification], now: datetime, by: User | None = None
) -> None:
    """What every qualification owes, once the lead's fields say qualified (qualified_fields):
    a timeline entry saying why, a discovery call for the owner within a day, and the end of
    its nurturing. A lead without an owner has a call without one, which follows the lead to
    its first owner. A fixed number of statements however many leads, so the bulk rescore
    spends them only on what it qualifies.
    """
    if not qualified:
        return
    leads_nurture_leave(lead_ids=[q.lead_id for q in qualified])
    timeline_entries_add(
        entries=[
            TimelineEntry(
                lead_id=q.lead_id,
                type=ActivityType.QUALIFIED,
                description=q.why,
                metadata=q.metadata,
            )
            for q in qualified
        ],
        at=now,
        by=by,
    )
    Task.objects.bulk_create(
        Task(
            lead_id=q.lead_id,
            owner_id=q.owner_id,
            title=DISCOVERY_CALL,
            priority=TaskPriority.HIGH,
            due_at=now + DISCOVERY_CALL_DUE,
        )
        for q in qualified
        if q.call
    )


def leads_qualify_by_score(
    *, scored: Iterable[tuple[UUID, int | None, int]], threshold: int, now: datetime
) -> int:
    """Scoring qualified these leads (id, owner id, score), writing qualified_fields(now) in
    the statement that scored them: record what their qualification owes. The caller's
    transaction holds it all. Returns how many."""
    qualified = [
        Qualification(
            lead_id=lead_id,
            owner_id=owner_id,
            why=f"Qualified by score: {score} reached the threshold of {threshold}",
            metadata={"by": "score", "score": score, "threshold": threshold},
        )
        for lead_id, owner_id, score in scored
    ]
    qualifications_record(qualified=qualified, now=now)
    return len(qualified)


def lead_qualify(*, lead: Lead, bant: Bant, by: User) -> Lead:
    """Record a rep's BANT verdict. All four: qualified, and a discovery call to schedule;
    anything less: unqualified, and nothing more is owed (open tasks close)."""
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.converted:
            raise LeadClosed("This lead is converted; its qualification is settled.")
        if bant.qualified:
            fields = qualified_fields(now)
        else:
            fields = {
                "qualified": False,
                "qualified_at": None,
                "lead_status": LeadStatus.UNQUALIFIED,
            }
        for name, value in fields.items():
            setattr(lead, name, value)
        lead.custom_fields = {
            **(lead.custom_fields or {}),
            "bant": {**asdict(bant), "at": now.isoformat()},
        }
        lead.save(update_fields=[*fields, "custom_fields", "updated_at"])
        if bant.qualified:
            open_call = Task.objects.filter(
                lead=lead, title=DISCOVERY_CALL, completed_at__isnull=True
            ).exists()
            qualification = Qualification(
                lead_id=lead.pk,
                owner_id=lead.assigned_to_id,
                why=f"Qualified by BANT: {bant.notes}" if bant.notes else "Qualified by BANT",
                metadata={"by": "bant", **asdict(bant)},
                # Scoring qualified it first: the call it made stands.
                call=not open_call,
            )
            qualifications_record(qualified=[qualification], now=now, by=by)
        else:
            leads_nurture_leave(lead_ids=[lead.pk])
            LeadActivity.objects.create(
                lead=lead,
                type=ActivityType.DISQUALIFIED,
                description=bant.notes,
                metadata=asdict(bant),
                created_by=by,
            )
            tasks_close_open(lead=lead)
    return lead


def lead_mark_converted(*, lead: Lead, contact_id: UUID, by: User, details: dict[str, Any]) -> Lead:
    """Part of a conversion's transaction: the lead is done, linked to its contact."""
    lead.converted = True
    lead.converted_at = timezone.now()
    lead.contact_id = contact_id
    lead.lead_status = LeadStatus.CONVERTED
    lead.save(update_fields=["converted", "converted_at", "contact", "lead_status", "updated_at"])
    leads_nurture_leave(lead_ids=[lead.pk])
    LeadActivity.objects.create(
        lead=lead,
        type=ActivityType.CONVERTED,
        description="Converted",
        metadata=details,
        created_by=by,
    )
    tasks_close_open(lead=lead)
    return lead
