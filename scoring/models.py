import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from crm.conditions import CUSTOM_PREFIX, FIELD_NAMES, OPERATOR_CHOICES, OPERATORS, ConditionError
from crm.models import SettingsModel

# The field a behavioral rule names: it counts the lead's activities of a type.
ACTIVITY_FIELD = "activity_type"
# What a rule may read: a lead's fields but its score and grade (a score cannot depend on
# itself), a custom field, or, for behavioral rules, the activity type. Sorted for a stable
# database check constraint.
RULE_FIELDS = sorted((set(FIELD_NAMES) - {"score", "grade"}) | {ACTIVITY_FIELD})


class Category(models.TextChoices):
    DEMOGRAPHIC = "demographic", "Demographic"
    FIRMOGRAPHIC = "firmographic", "Firmographic"
    BEHAVIORAL = "behavioral", "Behavioral"


class ScoringRule(models.Model):
    """A condition and the points it is worth; managers edit these in admin.

    Demographic and firmographic rules test the lead's fields. Behavioral rules count the
    lead's activities of a type (field `activity_type`), `points` for each occurrence.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.DEMOGRAPHIC
    )
    field = models.CharField(
        max_length=100,
        help_text="A lead field (title, email, employee_count, …), custom_fields.KEY for a "
        "custom field, or activity_type for behavioral rules.",
    )
    operator = models.CharField(max_length=50, choices=OPERATOR_CHOICES)
    value = models.CharField(
        max_length=255,
        blank=True,
        help_text="For 'in', values separated by commas; for 'between', low,high.",
    )
    points = models.IntegerField(validators=[MinValueValidator(-100), MaxValueValidator(100)])
    tier = models.CharField(
        max_length=50,
        blank=True,
        help_text="Rules that share a tier are alternatives: only the one with the most "
        "points among those that match counts (e.g. company size bands).",
    )
    max_occurrences = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Behavioral: count at most this many activities.",
    )
    window_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Behavioral: count only activities of the last N days, so old interest decays.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "tier", "-points", "name"]
        # clean() explains what is wrong in admin; these refuse a rule written any other way
        # (a script, the shell, a bad migration) whose field or operator is outside the language.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(field__in=RULE_FIELDS)
                | models.Q(field__startswith=CUSTOM_PREFIX),
                name="scoring_rule_field_allowed",
            ),
            models.CheckConstraint(
                condition=models.Q(operator__in=OPERATORS),
                name="scoring_rule_operator_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"

    def clean(self) -> None:
        from .rules import rule_compile

        try:
            rule_compile(self)
        except ConditionError as exc:
            raise ValidationError({exc.part: str(exc)}) from exc


class GradeBand(models.Model):
    """A lead whose score reaches min_score gets this grade (the highest band it reaches)."""

    grade = models.CharField(max_length=10, unique=True)
    min_score = models.PositiveSmallIntegerField(unique=True, validators=[MaxValueValidator(100)])

    history = HistoricalRecords()

    class Meta:
        ordering = ["-min_score"]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_score}"


class ScoringSettings(SettingsModel):
    """The automatic qualification threshold."""

    qualify_threshold = models.PositiveSmallIntegerField(
        default=80,
        validators=[MaxValueValidator(100)],
        help_text="A new or contacted lead whose score reaches this is qualified automatically.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "scoring settings"
        verbose_name_plural = "scoring settings"


class RescoreState(models.Model):
    """Whether a full rescore is owed and whether one runs: one row (pk 1), locked to change.

    A rule change asks for a rescore; asking again before it starts, or while one runs, adds
    nothing but the one run that must follow (scoring/services.py, leads_rescore_request).
    """

    # A full rescore is owed: asked for and not started yet.
    requested_at = models.DateTimeField(null=True, blank=True)
    # A worker is rescoring everyone since then.
    running_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Rescore state"
