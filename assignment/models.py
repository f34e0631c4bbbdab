from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.db.models.lookups import In, StartsWith
from simple_history.models import HistoricalRecords

from crm.conditions import CUSTOM_PREFIX, FIELD_NAMES, OPERATORS, Condition, ConditionError
from crm.models import SettingsModel

# Rules of a few conditions are what people write; the cap also bounds the database check.
MAX_CONDITIONS = 10


def conditions_allowed(column: str) -> models.Q:
    """A database check on a JSON list of conditions: at most MAX_CONDITIONS, each naming an
    allowed field and operator."""
    check = models.Q(**{f"{column}__{MAX_CONDITIONS}__isnull": True})
    for index in range(MAX_CONDITIONS):
        # A missing key reads '', not NULL: a check constraint lets NULL through.
        field = Coalesce(KT(f"{column}__{index}__field"), Value(""), output_field=TextField())
        operator = Coalesce(KT(f"{column}__{index}__operator"), Value(""), output_field=TextField())
        allowed = (
            models.Q(In(field, FIELD_NAMES)) | models.Q(StartsWith(field, CUSTOM_PREFIX))
        ) & models.Q(In(operator, OPERATORS))
        check &= models.Q(**{f"{column}__{index}__isnull": True}) | allowed
    return check


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

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "name"]
        # clean() explains what is wrong in admin; this refuses rules written any other way.
        constraints = [
            models.CheckConstraint(
                condition=conditions_allowed("conditions"),
                name="assignment_rule_conditions_allowed",
            )
        ]

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
    if len(raw) > MAX_CONDITIONS:
        raise ConditionError("conditions", f"At most {MAX_CONDITIONS} conditions.")
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


class NurtureSequence(models.Model):
    """Timed steps for leads that are not ready for sales yet; the first matching one enrolls."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100)
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text="Entry conditions, all of which must hold, in the language of assignment rules.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.CheckConstraint(
                condition=conditions_allowed("conditions"),
                name="nurture_sequence_conditions_allowed",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            rule_conditions_parse(self.conditions)
        except ConditionError as exc:
            raise ValidationError({"conditions": str(exc)}) from exc


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
        from django.template import TemplateSyntaxError

        from .nurture import EMAIL_FILTERS, text_compile

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
    """A lead in a sequence: which step is next and when; each lead enters a sequence once."""

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
        constraints = [
            models.UniqueConstraint(fields=["lead", "sequence"], name="nurture_enrolled_once"),
        ]
        indexes = [models.Index(fields=["next_step_at"], name="nurture_due_idx")]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.sequence}"


class NurtureStepRun(models.Model):
    """A step done for an enrollment; the unique pair makes every step run at most once."""

    enrollment = models.ForeignKey(NurtureEnrollment, on_delete=models.CASCADE, related_name="runs")
    step = models.ForeignKey(NurtureStep, on_delete=models.CASCADE, related_name="runs")
    ran_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="nurture_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.step} for {self.enrollment}"
