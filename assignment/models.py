from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from crm.models import SettingsModel

from .conditions import (
    MAX_CONDITIONS,
    ConditionsModel,
    conditions_allowed,
    conditions_constraint,
    rule_conditions_parse,
)

# Nurture's models live in their own package; importing them here registers them with the app.
from .nurture.models import (
    NurtureEnrollment,
    NurtureSequence,
    NurtureStep,
    NurtureStepRun,
    StepAction,
)

__all__ = [
    "MAX_CONDITIONS",
    "AssignmentRule",
    "NurtureEnrollment",
    "NurtureSequence",
    "NurtureStep",
    "NurtureStepRun",
    "RoutingSettings",
    "StepAction",
    "Team",
    "conditions_allowed",
    "rule_conditions_parse",
]


class Team(models.Model):
    """A named pool of reps; a rule that names a team deals its leads out round-robin."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    active = models.BooleanField(default=True)

    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssignmentRule(ConditionsModel):
    """Routes the leads that meet every condition to one rep or a team; lowest priority first."""

    name = models.CharField(max_length=255)
    priority = models.PositiveIntegerField(default=100, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignment_rules",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="rules"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "name"]
        constraints = [conditions_constraint("assignment_rule_conditions_allowed")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if bool(self.assignee_id) == bool(self.team_id):
            raise ValidationError("Choose either one rep or a team.")
        super().clean()


class RoutingSettings(SettingsModel):
    """How leads reach sales: the sales-ready threshold and the response-time SLA."""

    sales_ready_threshold = models.PositiveSmallIntegerField(
        default=70,
        validators=[MaxValueValidator(100)],
        help_text="Unassigned leads below this score are nurtured, not handed to sales.",
    )
    response_sla_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text="A lead with no first response this long after assignment is escalated.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "routing settings"
        verbose_name_plural = "routing settings"
