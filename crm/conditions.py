"""The rule-condition language that scoring rules and assignment rules share.

A condition is (field, operator, value) over a lead: a lead column from LEAD_FIELDS or a
`custom_fields.<key>`. Each condition has two executions that must agree for every lead:
`Condition.matches(lead)` in Python and `Condition.q()` in SQL (portable to SQLite and
PostgreSQL). Text comparisons ignore case. Semantics at the edges, identical in both:

- an empty text and a missing number are "not set"; `not_equals` and `not_contains` are true
  for them, every other comparison false;
- a custom field is text when its JSON value is a string, and a number when it is a JSON
  number or a string of digits (form posts send numbers as strings).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, DecimalField, Expression, F, Field, Q, TextField
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Lower
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler

TEXT = "text"
NUMBER = "number"

# The lead columns a condition may read, and how they compare.
LEAD_FIELDS: dict[str, str] = {
    "first_name": TEXT,
    "last_name": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "company": TEXT,
    "title": TEXT,
    "industry": TEXT,
    "lead_source": TEXT,
    "lead_status": TEXT,
    "grade": TEXT,
    "employee_count": NUMBER,
    "annual_revenue": NUMBER,
    "score": NUMBER,
}
CUSTOM_PREFIX = "custom_fields."
_CUSTOM_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$")
NUMERIC_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

TEXT_OPERATORS = frozenset(
    {"equals", "not_equals", "contains", "not_contains", "starts_with", "ends_with", "in"}
)
NUMBER_OPERATORS = frozenset({"equals", "not_equals", "gt", "gte", "lt", "lte", "between", "in"})
PRESENCE_OPERATORS = frozenset({"is_set", "is_not_set"})
OPERATORS = sorted(TEXT_OPERATORS | NUMBER_OPERATORS | PRESENCE_OPERATORS)
# The allow-lists, sorted: the rules' database check constraints are built from them, and a
# stable order keeps those constraints (and their migrations) the same from run to run.
FIELD_NAMES = sorted(LEAD_FIELDS)
OPERATOR_CHOICES = [(name, name.replace("_", " ")) for name in OPERATORS]


class ConditionError(ValueError):
    """A condition that cannot be evaluated; `part` names the field, operator or value."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


def field_kind(field: str, operator: str) -> str:
    """TEXT or NUMBER: how this field compares under this operator."""
    if field.startswith(CUSTOM_PREFIX):
        # A custom field has no declared type: the operator says how to read it.
        return NUMBER if operator in NUMBER_OPERATORS - TEXT_OPERATORS else TEXT
    return LEAD_FIELDS[field]


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any  # str, Decimal, a tuple of either, a (low, high) pair, or None

    @classmethod
    def parse(
        cls, field: str, operator: str, value: str | None, *, fields: frozenset[str] | None = None
    ) -> "Condition":
        """Validate a condition as a manager typed it; raise ConditionError saying what is wrong."""
        field = (field or "").strip()
        operator = (operator or "").strip()
        raw = (value or "").strip()
        if field.startswith(CUSTOM_PREFIX):
            if not _CUSTOM_KEY.match(field[len(CUSTOM_PREFIX) :]):
                raise ConditionError(
                    "field",
                    "A custom field is custom_fields.<key>, the key in letters, digits, _ or -.",
                )
        elif field not in LEAD_FIELDS or (fields is not None and field not in fields):
            allowed = sorted(fields if fields is not None else LEAD_FIELDS)
            raise ConditionError(
                "field",
                f"Unknown field '{field}'. Use one of {', '.join(allowed)}, or custom_fields.<key>.",
            )
        if operator not in OPERATORS:
            raise ConditionError("operator", f"Unknown operator '{operator}'.")
        if operator in PRESENCE_OPERATORS:
            if raw:
                raise ConditionError("value", f"'{operator}' takes no value.")
            return cls(field, operator, None)

        kind = field_kind(field, operator)
        if kind == TEXT and operator not in TEXT_OPERATORS:
            raise ConditionError("operator", f"'{operator}' compares numbers; '{field}' is text.")
        if kind == NUMBER and operator not in NUMBER_OPERATORS:
            raise ConditionError("operator", f"'{operator}' compares text; '{field}' is a number.")
        if not raw:
            raise ConditionError("value", f"'{operator}' needs a value.")

        if operator == "in":
            items = tuple(item.strip() for item in raw.split(",") if item.strip())
            if not items:
                raise ConditionError("value", "List the values, separated by commas.")
            if kind == NUMBER:
                return cls(field, operator, tuple(_number(item) for item in items))
            return cls(field, operator, tuple(item.lower() for item in items))
        if operator == "between":
            parts = [part.strip() for part in raw.split(",")]
            if len(parts) != 2:
                raise ConditionError("value", "'between' takes two numbers: low,high.")
            low, high = _number(parts[0]), _number(parts[1])
            if low > high:
                raise ConditionError(
                    "value", "The first number of 'between' must not exceed the second."
                )
            return cls(field, operator, (low, high))
        if kind == NUMBER:
            return cls(field, operator, _number(raw))
        return cls(field, operator, raw.lower())

    # --- Python execution ----------------------------------------------------------------------

    def matches(self, lead: Any) -> bool:
        op, value = self.operator, self.value
        if op in PRESENCE_OPERATORS:
            present = _is_set(self._python_raw(lead))
            return present if op == "is_set" else not present
        if field_kind(self.field, op) == TEXT:
            text = self._python_text(lead).lower()
            if op == "equals":
                return text == value
            if op == "not_equals":
                return text != value
            if op == "contains":
                return value in text
            if op == "not_contains":
                return value not in text
            if op == "starts_with":
                return text.startswith(value)
            if op == "ends_with":
                return text.endswith(value)
            return text in value  # in
        number = self._python_number(lead)
        if op == "not_equals":
            return number is None or number != value
        if number is None:
            return False
        if op == "equals":
            return number == value
        if op == "gt":
            return number > value
        if op == "gte":
            return number >= value
        if op == "lt":
            return number < value
        if op == "lte":
            return number <= value
        if op == "between":
            return value[0] <= number <= value[1]
        return number in value  # in

    def _python_raw(self, lead: Any) -> Any:
        if self.field.startswith(CUSTOM_PREFIX):
            return (lead.custom_fields or {}).get(self.field[len(CUSTOM_PREFIX) :])
        return getattr(lead, self.field)

    def _python_text(self, lead: Any) -> str:
        raw = self._python_raw(lead)
        return raw if isinstance(raw, str) else ""

    def _python_number(self, lead: Any) -> Decimal | None:
        raw = self._python_raw(lead)
        if isinstance(raw, bool) or raw is None:
            return None
        if isinstance(raw, int | float | Decimal):
            return Decimal(str(raw))
        if isinstance(raw, str) and NUMERIC_TEXT.match(raw):
            return Decimal(raw)
        return None

    # --- SQL execution -------------------------------------------------------------------------

    def q(self) -> Q:
        """The same condition as a Q over Lead rows."""
        op, value = self.operator, self.value
        if op in PRESENCE_OPERATORS:
            present = self._sql_presence()
            return present if op == "is_set" else ~present
        if field_kind(self.field, op) == TEXT:
            text = self._sql_text()
            lookups = {
                "equals": "iexact",
                "not_equals": "iexact",
                "contains": "icontains",
                "not_contains": "icontains",
                "starts_with": "istartswith",
                "ends_with": "iendswith",
            }
            if op == "in":
                return Q(_lower_in(text, list(value)))
            q = (
                Q(**{f"{text}__{lookups[op]}": value})
                if isinstance(text, str)
                else Q(_lookup(text, lookups[op], value))
            )
            return ~q if op in ("not_equals", "not_contains") else q
        number = self._sql_number()
        if op == "not_equals":
            return _q(number, "isnull", True) | ~_q(number, "exact", value)
        # Explicitly not null: Django turns a comparison that every value of a column's range
        # satisfies (employee_count > -1) into TRUE, which would also match a missing number.
        present = _q(number, "isnull", False)
        if op == "between":
            return present & _q(number, "gte", value[0]) & _q(number, "lte", value[1])
        lookup = {"equals": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "in": "in"}
        return present & _q(number, lookup[op], list(value) if op == "in" else value)

    def _custom_key(self) -> str:
        return self.field[len(CUSTOM_PREFIX) :]

    def _sql_text(self) -> str | Expression:
        if self.field.startswith(CUSTOM_PREFIX):
            return CustomFieldText(self._custom_key())
        return self.field

    def _sql_number(self) -> str | Expression:
        if self.field.startswith(CUSTOM_PREFIX):
            return CustomFieldNumber(self._custom_key())
        return self.field

    def _sql_presence(self) -> Q:
        if self.field.startswith(CUSTOM_PREFIX):
            return Q(CustomFieldIsSet(self._custom_key()))
        if LEAD_FIELDS[self.field] == TEXT:
            return ~Q(**{self.field: ""})
        return Q(**{f"{self.field}__isnull": False})


NUMBER_LIMIT = Decimal(10) ** 15
# The scale of CustomFieldNumber below. PostgreSQL's numeric holds no more than 16,383 digits
# after the point, so a rule of 1e-20000 would fail every rescore; no column here holds more
# than 10, and a rule comparing with more could not tell the values it holds apart anyway.
DECIMAL_PLACES = 10


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ConditionError("value", f"'{text}' is not a number.") from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ConditionError("value", f"'{text}' is not a number below 10^15.")
    if _decimal_places(number) > DECIMAL_PLACES:
        raise ConditionError("value", f"'{text}' has more than {DECIMAL_PLACES} decimal places.")
    return number


def _decimal_places(number: Decimal) -> int:
    """Digits after the point, trailing zeros not counted: 1.50 has 1, 1e-20000 has 20000."""
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int):
        # "n", "N" or "F": NaN and infinities have no decimal places; _number refuses them.
        raise ValueError(f"{number} is not a finite number")
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(digits) - len(significant)))


def _is_set(raw: Any) -> bool:
    if raw is None:
        return False
    if isinstance(raw, str):
        return raw != ""
    return isinstance(raw, bool | int | float | Decimal)


def _lookup(lhs: Expression, name: str, value: Any) -> Expression:
    lookup_class = lhs.output_field.get_lookup(name)
    if lookup_class is None:
        raise ValueError(f"{type(lhs.output_field).__name__} has no lookup {name!r}")
    return lookup_class(lhs, value)


def _q(lhs: str | Expression, name: str, value: Any) -> Q:
    if isinstance(lhs, str):
        return Q(**{f"{lhs}__{name}": value})
    return Q(_lookup(lhs, name, value))


def _lower_in(text: str | Expression, values: list[str]) -> Expression:
    return In(Lower(F(text) if isinstance(text, str) else text, output_field=TextField()), values)


# --- custom_fields as SQL: one reading per vendor, mirroring the Python readings above -------


class _CustomField(Expression):
    """Reads custom_fields[key] of the lead row; the key is passed as a parameter."""

    # Each subclass sets how the value reads (its output field) and the SQL of each vendor.
    output_field_class: Callable[[], "Field[Any, Any]"]
    postgres_template: str
    sqlite_template: str

    def __init__(self, key: str) -> None:
        super().__init__(output_field=self.output_field_class())
        self.key = key

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.key!r})"

    def get_group_by_cols(self) -> list[BaseExpression]:
        return [self]

    def _column(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> str:
        sql, _ = compiler.compile(F("custom_fields").resolve_expression(compiler.query))
        return sql

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[str]]:
        column = self._column(compiler, connection)
        template = self.postgres_template.replace("{cf}", column)
        return template, [self.key] * template.count("%s")

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[str]]:
        column = self._column(compiler, connection)
        template = self.sqlite_template.replace("{cf}", column)
        path = '$."' + self.key + '"'
        return template, [path] * template.count("%s")

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> NoReturn:
        raise NotImplementedError(
            f"custom field conditions need SQLite or PostgreSQL, not {connection.vendor}"
        )


class CustomFieldText(_CustomField):
    output_field_class = TextField
    postgres_template = (
        "(CASE WHEN jsonb_typeof({cf} -> %s) = 'string' THEN {cf} ->> %s ELSE '' END)"
    )
    sqlite_template = (
        "(CASE WHEN json_type({cf}, %s) = 'text' THEN json_extract({cf}, %s) ELSE '' END)"
    )


class CustomFieldNumber(_CustomField):
    @staticmethod
    def output_field_class() -> "DecimalField[Any, Any]":
        return DecimalField(max_digits=30, decimal_places=10)

    postgres_template = (
        "(CASE WHEN jsonb_typeof({cf} -> %s) = 'number' THEN ({cf} ->> %s)::numeric"
        " WHEN jsonb_typeof({cf} -> %s) = 'string' AND ({cf} ->> %s) ~ '^-?[0-9]+(\\.[0-9]+)?$'"
        " THEN ({cf} ->> %s)::numeric END)"
    )
    # The outer CAST gives the result REAL affinity (a CASE has none), so SQLite compares it
    # with the text-bound Decimal parameters as numbers.
    sqlite_template = (
        "CAST(CASE WHEN json_type({cf}, %s) IN ('integer', 'real') THEN json_extract({cf}, %s)"
        " WHEN json_type({cf}, %s) = 'text' AND json_extract({cf}, %s) REGEXP '^-?[0-9]+(\\.[0-9]+)?$'"
        " THEN json_extract({cf}, %s) END AS REAL)"
    )


class CustomFieldIsSet(_CustomField):
    output_field_class = BooleanField
    conditional = True
    # COALESCE: for a missing key the test is NULL, and NOT NULL would not make it true.
    postgres_template = (
        "COALESCE(jsonb_typeof({cf} -> %s) IN ('number', 'boolean')"
        " OR (jsonb_typeof({cf} -> %s) = 'string' AND {cf} ->> %s <> ''), false)"
    )
    sqlite_template = (
        "COALESCE(json_type({cf}, %s) IN ('integer', 'real', 'true', 'false')"
        " OR (json_type({cf}, %s) = 'text' AND json_extract({cf}, %s) <> ''), 0)"
    )
