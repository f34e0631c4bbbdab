"""What other apps' automation (nurturing) writes on leads: timeline entries, a status step,
a task. Each runs in the caller's transaction; timeline entries go in bulk, one INSERT
however many leads."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from crm.models import User

from ..models import Lead, LeadActivity, Task, TaskPriority
from .edit import LeadUpdateError, lead_status_change_check


@dataclass(frozen=True)
class TimelineEntry:
    lead_id: UUID
    type: str  # an ActivityType
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def timeline_entries_add(
    *, entries: Sequence[TimelineEntry], at: datetime, by: User | None = None
) -> None:
    """Add these entries to their leads' timelines, at one moment, in one INSERT."""
    if not entries:
        return
    LeadActivity.objects.bulk_create(
        LeadActivity(
            lead_id=entry.lead_id,
            type=entry.type,
            description=entry.description,
            metadata=entry.metadata,
            created_by=by,
            created_at=at,
        )
        for entry in entries
    )


def lead_status_step(*, lead_id: UUID, status: str) -> bool:
    """Move the lead to a status a rep may also set by hand (new, contacted); False, and
    nothing changed, once the lead has moved on (qualified, unqualified, converted)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        try:
            lead_status_change_check(lead.lead_status, status)
        except LeadUpdateError:
            return False
        if lead.lead_status != status:
            Lead.objects.filter(pk=lead_id).update(lead_status=status, updated_at=timezone.now())
    return True


def lead_task_create(*, lead_id: UUID, owner: User | None, title: str, due_at: datetime) -> Task:
    """A task on the lead that automation asks of a person (the owner, or a manager)."""
    return Task.objects.create(
        lead_id=lead_id,
        owner=owner,
        title=title,
        priority=TaskPriority.NORMAL,
        due_at=due_at,
    )
