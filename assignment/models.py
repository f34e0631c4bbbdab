from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from crm.conditions import Condition, ConditionError


class Team(models.Model):
    """A named pool of reps; a rule that names a team deals its leads out round-robin."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssignmentRule(models.Model):
    """Routes the leads that meet every condition to one rep or a team; lowest priority first."""

    name = models.CharField(max_length=255)
    priority = models.PositiveIntegerField(default=100, db_index=True)
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of conditions that must all hold, e.g. [{"field": "employee_count", '
        '"operator": "gt", "value": "1000"}, {"field": "industry", "operator": "equals", '
        '"value": "Finance"}]. The same fields and operators as scoring rules.',
    )
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

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if bool(self.assignee_id) == bool(self.team_id):
            raise ValidationError("Choose either one rep or a team.")
        try:
            rule_conditions_parse(self.conditions)
        except ConditionError as exc:
            raise ValidationError({"conditions": str(exc)}) from exc


def rule_conditions_parse(raw) -> tuple[Condition, ...]:
    """The rule's conditions, checked; raises ConditionError saying which one is wrong."""
    if not isinstance(raw, list):
        raise ConditionError("conditions", "Conditions are a list of {field, operator, value}.")
    parsed = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ConditionError("conditions", f"Condition {index} is not an object.")
        try:
            parsed.append(
                Condition.parse(
                    item.get("field", ""),
                    item.get("operator", ""),
                    str(item.get("value", "") or ""),
                )
            )
        except ConditionError as exc:
            raise ConditionError("conditions", f"Condition {index}: {exc}") from exc
    return tuple(parsed)


class RoutingSettings(models.Model):
    """The one row of routing settings (pk 1)."""

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

    class Meta:
        verbose_name = "routing settings"
        verbose_name_plural = "routing settings"

    def __str__(self) -> str:
        return "Routing settings"

    @classmethod
    def load(cls) -> "RoutingSettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row
