"""The runner: each step of an enrollment runs when it falls due, at most once.

A step runs under the enrollment's row lock and records a NurtureStepRun (unique per
enrollment and step) in the same transaction as its effect, so a crash half-way leaves the
step to run again and a duplicate task finds it done. Emails leave after commit, each once.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import task_names
from crm.effects import task_enqueue_on_commit
from crm.selectors import manager_pick
from leads.models import ActivityType, Lead
from leads.services import TimelineEntry, lead_status_step, lead_task_create, timeline_entries_add

from .leaving import Exit, enrollments_close, nurture_leave
from .models import NurtureEnrollment, NurtureStep, NurtureStepRun, StepAction
from .texts import subject_render

logger = logging.getLogger(__name__)
DUE_BATCH = 500
TASK_DUE = timedelta(days=1)


def nurture_advance(*, enrollment_id: int, now: datetime | None = None) -> bool:
    """Run the enrollment's next step if it is due and its lead may still be nurtured; True
    if a step ran."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = (
            NurtureEnrollment.objects.select_for_update(skip_locked=True)
            .filter(pk=enrollment_id, exited_at__isnull=True, next_step_at__lte=now)
            .first()
        )
        if enrollment is None:
            return False
        # The lead's lock before the check: nothing takes it out of nurturing while its step runs.
        lead = Lead.objects.select_for_update().get(pk=enrollment.lead_id)
        if nurture_leave(lead_ids=[lead.pk], now=now):
            return False
        steps = list(
            NurtureStep.objects.filter(sequence_id=enrollment.sequence_id).order_by("position")
        )
        step = next((s for s in steps if s.position == enrollment.next_position), None)
        ran = False
        if step is not None:
            try:
                with transaction.atomic():
                    run = NurtureStepRun.objects.create(
                        enrollment=enrollment, step=step, ran_at=now
                    )
            except IntegrityError:
                run = None  # done before: only move on
            if run is not None:
                _perform(step, run, lead, now)
                ran = True
        later = [s for s in steps if s.position > (enrollment.next_position or 0)]
        if not later:
            completed = Exit(enrollment.pk, lead.pk, enrollment.sequence.name, "completed")
            enrollments_close(exits=[completed], now=now)
            return ran
        following = later[0]
        enrollment.next_position = following.position
        enrollment.next_step_at = now + timedelta(hours=following.delay_hours)
        enrollment.save(update_fields=["next_position", "next_step_at"])
        if following.delay_hours == 0:
            task_enqueue_on_commit(task_names.NURTURE_ADVANCE, enrollment.pk)
    return ran


def nurture_run_due(*, now: datetime | None = None) -> int:
    """The beat task: close what may no longer be nurtured, then run the steps that are due,
    a batch at a time."""
    now = now or timezone.now()
    # Set-based, every lead: whatever a lost message or a write that sent none left open.
    nurture_leave(now=now)
    due = list(
        NurtureEnrollment.objects.filter(exited_at__isnull=True, next_step_at__lte=now)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    ran = 0
    for pk in due:
        try:
            ran += nurture_advance(enrollment_id=pk, now=now)
        except Exception:
            # One broken step must not hold up every lead queued behind it.
            logger.exception("Nurture step of enrollment %s failed", pk)
    return ran


def _perform(step: NurtureStep, run: NurtureStepRun, lead: Lead, now: datetime) -> None:
    description = f"Step {step.position}: {step.get_action_display()}"
    if step.action == StepAction.EMAIL:
        description += f" “{subject_render(step.subject, lead)}”"
        task_enqueue_on_commit(task_names.NURTURE_EMAIL_SEND, run.pk)
    elif step.action == StepAction.TASK:
        owner = lead.assigned_to if step.task_for == "owner" and lead.assigned_to_id else None
        lead_task_create(
            lead_id=lead.pk,
            owner=owner or manager_pick(),
            title=step.task_title,
            due_at=now + TASK_DUE,
        )
    elif step.action == StepAction.STATUS and not lead_status_step(
        lead_id=lead.pk, status=step.status
    ):
        description += " (skipped: the lead has moved on)"
    timeline_entries_add(
        entries=[
            TimelineEntry(
                lead_id=lead.pk,
                type=ActivityType.NURTURE_STEP,
                description=description,
                metadata={
                    "sequence": step.sequence_id,
                    "step": step.position,
                    "action": step.action,
                },
            )
        ],
        at=now,
    )
