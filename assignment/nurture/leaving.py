"""Leaving nurture, written once: the open enrollments of leads that may no longer be nurtured
close, each with the reason its lead gives, and each lead's timeline says so.

leads decides who may be nurtured (leads.selectors.NURTURE_ENDS) and, when one of its writes
ends it, asks for this through the outbox (task_names.NURTURE_LEAVE); the step runner asks
before each step and the due runner sweeps every lead, so a lost message changes nothing.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from leads.models import ActivityType
from leads.selectors import lead_nurture_end_reason, lead_nurture_ended_q
from leads.services import TimelineEntry, timeline_entries_add

from .models import NurtureEnrollment

# Enrollments closed per transaction: a few statements each, whatever the batch holds.
LEAVE_BATCH = 500


class Exit(NamedTuple):
    enrollment_id: int
    lead_id: UUID
    sequence_name: str
    reason: str


def nurture_leave(
    *, lead_ids: Iterable[UUID | str] | None = None, now: datetime | None = None
) -> int:
    """Close the open enrollments of these leads (None: of every lead) that may no longer be
    nurtured; returns how many closed. Safe to run again: a closed enrollment is not open."""
    now = now or timezone.now()
    closed = 0
    if lead_ids is None:
        while True:
            batch = _leave(NurtureEnrollment.objects.all(), now)
            closed += batch
            if batch < LEAVE_BATCH:
                return closed
    ids = list(lead_ids)
    for start in range(0, len(ids), LEAVE_BATCH):
        enrollments = NurtureEnrollment.objects.filter(lead_id__in=ids[start : start + LEAVE_BATCH])
        closed += _leave(enrollments, now)
    return closed


def _leave(enrollments: QuerySet[NurtureEnrollment], now: datetime) -> int:
    with transaction.atomic():
        # Locked in pk order, so a runner advancing one of them finishes first (and this one
        # then sees whether it is still open), and two sweeps never deadlock.
        leaving = (
            enrollments.filter(lead_nurture_ended_q("lead__"), exited_at__isnull=True)
            .select_for_update(of=("self",))
            .order_by("pk")
            .annotate(reason=lead_nurture_end_reason("lead__"))
            .values_list("pk", "lead_id", "sequence__name", "reason")[:LEAVE_BATCH]
        )
        exits = [Exit(*row) for row in leaving]
        enrollments_close(exits=exits, now=now)
    return len(exits)


def enrollments_close(*, exits: Sequence[Exit], now: datetime) -> None:
    """Close these enrollments, an UPDATE per reason, and put each exit on its lead's timeline
    in one INSERT. The caller holds their row locks."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for ended in exits:
        by_reason[ended.reason].append(ended.enrollment_id)
    for reason, pks in by_reason.items():
        NurtureEnrollment.objects.filter(pk__in=pks).update(
            exited_at=now, exit_reason=reason, next_step_at=None
        )
    timeline_entries_add(
        entries=[
            TimelineEntry(
                lead_id=ended.lead_id,
                type=ActivityType.NURTURE_EXITED,
                description=f"Nurture {ended.sequence_name} ended: {ended.reason}",
            )
            for ended in exits
        ],
        at=now,
    )
