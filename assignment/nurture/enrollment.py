"""Entering nurture: a lead routing leaves alone enters the first sequence it meets."""

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from crm import task_names
from crm.conditions import ConditionError
from crm.effects import task_enqueue_on_commit
from leads.models import ActivityType, Lead
from leads.selectors import lead_may_be_nurtured
from leads.services import TimelineEntry, timeline_entries_add

from ..conditions import rule_conditions_parse
from .models import NurtureEnrollment, NurtureSequence

logger = logging.getLogger(__name__)


def nurture_enroll(*, lead: Lead, now: datetime | None = None) -> NurtureEnrollment | None:
    """Enrol the lead in the first active sequence it meets and has not been in, if it may be
    nurtured and is in no sequence now. The caller holds the lead's row lock (routing does),
    so the lead cannot change meanwhile."""
    if not lead_may_be_nurtured(lead_id=lead.pk):
        return None
    entered = list(
        NurtureEnrollment.objects.filter(lead=lead).values_list("sequence_id", "exited_at")
    )
    if any(exited_at is None for _, exited_at in entered):
        return None  # in a sequence now
    now = now or timezone.now()
    done = {sequence_id for sequence_id, _ in entered}
    for sequence in (
        NurtureSequence.objects.filter(active=True).exclude(pk__in=done).prefetch_related("steps")
    ):
        try:
            conditions = rule_conditions_parse(sequence.conditions)
        except ConditionError as exc:
            logger.warning("Skipping nurture sequence %s: %s", sequence.pk, exc)
            continue
        steps = sorted(sequence.steps.all(), key=lambda step: step.position)
        if not steps or not all(condition.matches(lead) for condition in conditions):
            continue
        first = steps[0]
        enrollment = NurtureEnrollment.objects.create(
            lead=lead,
            sequence=sequence,
            enrolled_at=now,
            next_position=first.position,
            next_step_at=now + timedelta(hours=first.delay_hours),
        )
        timeline_entries_add(
            entries=[
                TimelineEntry(
                    lead_id=lead.pk,
                    type=ActivityType.NURTURE_ENROLLED,
                    description=f"Nurture: {sequence.name}",
                )
            ],
            at=now,
        )
        if first.delay_hours == 0:
            # Right after enrolment, not at the next beat tick.
            task_enqueue_on_commit(task_names.NURTURE_ADVANCE, enrollment.pk)
        return enrollment
    return None
