"""The conditions a rule (assignment rule, nurture sequence) matches leads by: one JSON list of
{field, operator, value} in the language of crm.conditions, checked by the database and, with
messages that say which one is wrong, by clean()."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.db.models.lookups import In, StartsWith

from crm.conditions import CUSTOM_PREFIX, FIELD_NAMES, OPERATORS, Condition, ConditionError

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


def conditions_constraint(name: str) -> models.CheckConstraint:
    """The check of a ConditionsModel's `conditions`; each model names its own."""
    return models.CheckConstraint(condition=conditions_allowed("conditions"), name=name)


def rule_conditions_parse(raw: Any) -> tuple[Condition, ...]:
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


class ConditionsModel(models.Model):
    """A rule that holds for the leads meeting all of its conditions.

    The database refuses conditions outside the language (conditions_constraint, which each
    model lists under its own name); clean() says in admin which condition is wrong.
    """

    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of conditions that must all hold, e.g. [{"field": "employee_count", '
        '"operator": "gt", "value": "1000"}, {"field": "industry", "operator": "equals", '
        '"value": "Finance"}]. The same fields and operators as scoring rules.',
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        try:
            rule_conditions_parse(self.conditions)
        except ConditionError as exc:
            raise ValidationError({"conditions": str(exc)}) from exc
