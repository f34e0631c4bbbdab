"""Nurture's tables. They keep the app label and table names of assignment, which registers
them (assignment/models.py imports this module)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.template import TemplateSyntaxError
from simple_history.models import HistoricalRecords

from ..conditions import ConditionsModel, conditions_constraint
from .texts import EMAIL_FILTERS, text_compile


class NurtureSequence(ConditionsModel):
    """Timed steps for leads that are not ready for sales yet; the first sequence whose entry
    conditions a lead meets enrols it."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        app_label = "assignment"
        ordering = ["priority", "name"]
        constraints = [conditions_constraint("nurture_sequence_conditions_allowed")]

    def __str__(self) -> str:
        return self.name


class StepAction(models.TextChoices):
    EMAIL = "email", "Send an email"
    TASK = "task", "Create a task"
    STATUS = "status", "Set the status"


class NurtureStep(models.Model):
    sequence = models.ForeignKey(NurtureSequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_hours = models.PositiveIntegerField(
        default=0, help_text="Hours after the previous step (or after enrolment, for the first)."
    )
    action = models.CharField(max_length=10, choices=StepAction.choices)
    subject = models.CharField(
        max_length=255,
        blank=True,
        help_text="Email subject; {{ lead.first_name }} and other lead fields work.",
    )
    body = models.TextField(
        blank=True, help_text="Email body, with lead fields as {{ lead.company }}."
    )
    task_title = models.CharField(max_length=255, blank=True)
    task_for = models.CharField(
        max_length=10,
        choices=[("owner", "The lead's owner"), ("manager", "A manager")],
        default="manager",
    )
    status = models.CharField(max_length=20, blank=True, help_text="new or contacted")

    history = HistoricalRecords()

    class Meta:
        app_label = "assignment"
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "position"], name="nurture_step_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sequence}: step {self.position} ({self.get_action_display()})"

    def clean(self) -> None:
        if self.action == StepAction.EMAIL and not (self.subject.strip() and self.body.strip()):
            raise ValidationError("An email step needs a subject and a body.")
        allowed = ", ".join(EMAIL_FILTERS)
        for name in ("subject", "body"):
            try:
                text_compile(getattr(self, name))
            except TemplateSyntaxError as exc:
                raise ValidationError(
                    {name: f"Cannot use this text: {exc}. Filters allowed: {allowed}."}
                ) from exc
        if self.action == StepAction.TASK and not self.task_title.strip():
            raise ValidationError({"task_title": "A task step needs a title."})
        if self.action == StepAction.STATUS and self.status not in ("new", "contacted"):
            raise ValidationError({"status": "A step may set new or contacted."})


class NurtureEnrollment(models.Model):
    """A lead in a sequence: which step is next and when.

    The open enrollment (not exited) is the lead's current sequence; a lead has at most one,
    and enters each sequence once.
    """

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="nurture_enrollments"
    )
    sequence = models.ForeignKey(
        NurtureSequence, on_delete=models.CASCADE, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField()
    next_position = models.PositiveSmallIntegerField(null=True, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    exited_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        app_label = "assignment"
        constraints = [
            models.UniqueConstraint(fields=["lead", "sequence"], name="nurture_enrolled_once"),
            # Also the index by which a lead's current sequence is found (the lead API).
            models.UniqueConstraint(
                fields=["lead"],
                condition=models.Q(exited_at__isnull=True),
                name="nurture_one_open_per_lead",
            ),
        ]
        indexes = [models.Index(fields=["next_step_at"], name="nurture_due_idx")]

    def __str__(self) -> str:
        return f"{self.lead} in {self.sequence}"


class NurtureStepRun(models.Model):
    """A step done for an enrollment; the unique pair makes every step run at most once."""

    enrollment = models.ForeignKey(NurtureEnrollment, on_delete=models.CASCADE, related_name="runs")
    step = models.ForeignKey(NurtureStep, on_delete=models.CASCADE, related_name="runs")
    ran_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "assignment"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="nurture_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.step} for {self.enrollment}"
