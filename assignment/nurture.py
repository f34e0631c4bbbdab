"""Nurturing leads that are not ready for sales: enrol once, run each step at most once.

A step runs under the enrollment's row lock and records a NurtureStepRun (unique per
enrollment and step) in the same transaction as its effect, so a crash half-way leaves the
step to run again and a duplicate task finds it done. Emails leave after commit, each once.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Engine, Library, defaultfilters
from django.urls import reverse
from django.utils import timezone

from crm import task_names
from crm.conditions import ConditionError
from crm.effects import task_enqueue_on_commit
from crm.models import User
from crm.selectors import manager_list
from leads.models import ActivityType, Lead, LeadActivity, LeadStatus, Task, TaskPriority
from leads.services import lead_status_change_check, unsubscribe_token

from .models import (
    NurtureEnrollment,
    NurtureSequence,
    NurtureStep,
    NurtureStepRun,
    StepAction,
    rule_conditions_parse,
)

logger = logging.getLogger(__name__)
DUE_BATCH = 500


def nurture_enroll(*, lead: Lead, now: datetime | None = None) -> NurtureEnrollment | None:
    """Enrol the lead in the first active sequence it meets and has not been in. The
    caller holds the lead's row lock (routing does)."""
    if (
        lead.nurture_sequence_id
        or lead.assigned_to_id
        or lead.do_not_email
        # Sales has a qualified lead: nurturing it again would undo its leaving.
        or lead.qualified
        or lead.lead_status in (LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED)
    ):
        return None
    now = now or timezone.now()
    done = set(NurtureEnrollment.objects.filter(lead=lead).values_list("sequence_id", flat=True))
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
        Lead.objects.filter(pk=lead.pk).update(
            nurture_sequence=sequence, nurture_next_step_at=enrollment.next_step_at
        )
        LeadActivity.objects.create(
            lead=lead,
            type=ActivityType.NURTURE_ENROLLED,
            description=f"Nurture: {sequence.name}",
            created_at=now,
        )
        if first.delay_hours == 0:
            # Right after enrolment, not at the next beat tick.
            task_enqueue_on_commit(task_names.NURTURE_ADVANCE, enrollment.pk)
        return enrollment
    return None


def exit_reason(lead: Lead, enrollment: NurtureEnrollment) -> str:
    if lead.do_not_email:
        return "unsubscribed"
    if lead.converted or lead.lead_status == LeadStatus.CONVERTED:
        return "converted"
    if lead.lead_status == LeadStatus.UNQUALIFIED:
        return "disqualified"
    if lead.qualified:
        return "qualified"
    if lead.assigned_to_id:
        return "assigned"
    if lead.nurture_sequence_id != enrollment.sequence_id:
        return "left"
    return ""


def nurture_advance(*, enrollment_id: int, now: datetime | None = None) -> bool:
    """Run the enrollment's next step if it is due; True if a step ran."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = (
            NurtureEnrollment.objects.select_for_update(skip_locked=True)
            .filter(pk=enrollment_id, exited_at__isnull=True, next_step_at__lte=now)
            .first()
        )
        if enrollment is None:
            return False
        lead = Lead.objects.select_for_update().get(pk=enrollment.lead_id)
        reason = exit_reason(lead, enrollment)
        if reason:
            _exit(enrollment, lead, reason, now)
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
            _exit(enrollment, lead, "completed", now)
            return ran
        following = later[0]
        enrollment.next_position = following.position
        enrollment.next_step_at = now + timedelta(hours=following.delay_hours)
        enrollment.save(update_fields=["next_position", "next_step_at"])
        Lead.objects.filter(pk=lead.pk).update(nurture_next_step_at=enrollment.next_step_at)
        if following.delay_hours == 0:
            task_enqueue_on_commit(task_names.NURTURE_ADVANCE, enrollment.pk)
    return ran


def nurture_run_due(*, now: datetime | None = None) -> int:
    """The beat task: run the steps that are due, a batch at a time."""
    now = now or timezone.now()
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


def _exit(enrollment: NurtureEnrollment, lead: Lead, reason: str, now: datetime) -> None:
    enrollment.exited_at = now
    enrollment.exit_reason = reason
    enrollment.next_step_at = None
    enrollment.save(update_fields=["exited_at", "exit_reason", "next_step_at"])
    if lead.nurture_sequence_id == enrollment.sequence_id:
        Lead.objects.filter(pk=lead.pk).update(nurture_sequence=None, nurture_next_step_at=None)
    LeadActivity.objects.create(
        lead=lead,
        type=ActivityType.NURTURE_EXITED,
        description=f"Nurture {enrollment.sequence.name} ended: {reason}",
        created_at=now,
    )


def _perform(step: NurtureStep, run: NurtureStepRun, lead: Lead, now: datetime) -> None:
    description = f"Step {step.position}: {step.get_action_display()}"
    if step.action == StepAction.EMAIL:
        description += f" “{render_subject(step.subject, lead)}”"
        task_enqueue_on_commit(task_names.NURTURE_EMAIL_SEND, run.pk)
    elif step.action == StepAction.TASK:
        owner = (
            lead.assigned_to if step.task_for == "owner" and lead.assigned_to_id else a_manager()
        )
        Task.objects.create(
            lead=lead,
            owner=owner,
            title=step.task_title,
            priority=TaskPriority.NORMAL,
            due_at=now + timedelta(days=1),
        )
    elif step.action == StepAction.STATUS:
        try:
            lead_status_change_check(lead.lead_status, step.status)
            Lead.objects.filter(pk=lead.pk).update(lead_status=step.status)
        except ValueError:
            description += " (skipped: the lead has moved on)"
    LeadActivity.objects.create(
        lead=lead,
        type=ActivityType.NURTURE_STEP,
        description=description,
        metadata={"sequence": step.sequence_id, "step": step.position, "action": step.action},
        created_at=now,
    )


def a_manager() -> User | None:
    return manager_list().filter(is_active=True).order_by("-role", "pk").first()


# What a manager's email text may use: the lead's own fields, nothing reachable through them,
# and filters only (no tags: no {% include %}, {% load %} or {% debug %}).
TEMPLATE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "industry",
    "lead_source",
)


# None of these makes its output much longer than its input: ljust, center, stringformat and
# the like would turn '{{ lead.first_name|ljust:"200000000" }}' into 200 MB on a worker.
EMAIL_FILTERS = (
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "lower",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
)
# What one email may carry of a manager's text, once rendered (the body in UTF-8 bytes).
SUBJECT_MAX_CHARS = 200
BODY_MAX_BYTES = 100 * 1024

_email_filters = Library()
for _name in EMAIL_FILTERS:
    _email_filters.filters[_name] = defaultfilters.register.filters[_name]


class FiltersOnlyEngine(Engine):
    def get_template_builtins(self, builtins):
        return [_email_filters]


EMAIL_TEMPLATES = FiltersOnlyEngine(libraries={})


def text_compile(text: str):
    """The text as a template; raises TemplateSyntaxError for text an email step cannot use."""
    return EMAIL_TEMPLATES.from_string(text)


def render_text(text: str, lead: Lead) -> str:
    fields = {name: getattr(lead, name) for name in TEMPLATE_FIELDS}
    return text_compile(text).render(Context({"lead": fields}, autoescape=False))


def render_subject(text: str, lead: Lead) -> str:
    """The subject on one line, at most SUBJECT_MAX_CHARS long."""
    return " ".join(render_text(text, lead).split())[:SUBJECT_MAX_CHARS]


def render_body(text: str, lead: Lead) -> str:
    """The body, at most BODY_MAX_BYTES of UTF-8 (never cut inside a character)."""
    return render_text(text, lead).encode()[:BODY_MAX_BYTES].decode(errors="ignore")


def nurture_email_send(*, run_id: int) -> bool:
    """Send a nurture email once, if the lead still accepts email; True if sent."""
    with transaction.atomic():
        run = (
            NurtureStepRun.objects.select_for_update()
            .select_related("step", "enrollment__lead")
            .filter(pk=run_id, sent_at__isnull=True)
            .first()
        )
        if run is None:
            return False
        lead = run.enrollment.lead
        if lead.do_not_email:
            return False
        unsubscribe = settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(lead)])
        body = render_body(run.step.body, lead) + f"\n\n--\nNo more emails from us: {unsubscribe}\n"
        message = EmailMultiAlternatives(
            subject=render_subject(run.step.subject, lead),
            body=body,
            to=[lead.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.send()
        run.sent_at = timezone.now()
        run.save(update_fields=["sent_at"])
    return True
