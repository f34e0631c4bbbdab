from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from .models import Lead, LeadStatus, Task
from .search import lead_search

BOOLEAN_CHOICES = [("", "any"), ("true", "yes"), ("false", "no")]
NOT_A_GRADE = "Not one of the current grade bands: "


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.Filter):
    """A whole positive number that fits a database id; anything else answers 400."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """true or false; anything else answers 400 instead of silently matching everything."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, in UTC. RFC 3339 allows offsets up to 23:59, PostgreSQL only up to
    15:59 (a query with -20:45 failed), and a time near year 1 or 9999 may not convert."""

    def to_python(self, value: Any) -> datetime | None:
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This time is out of range.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class BlankMeansAnyFilterSet(django_filters.FilterSet):
    """A blank parameter is no filter: a form left on "Any" still sends `grade=`, and a
    page, an export and the API must all read that as "any grade", not as an error."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            data = data.copy()
            for key in list(data):
                values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
                kept = [v for v in values if not (isinstance(v, str) and not v.strip())]
                if not kept:
                    del data[key]
                elif hasattr(data, "setlist"):
                    data.setlist(key, kept)
        super().__init__(data, *args, **kwargs)


def grade_choices() -> list[tuple[str, str]]:
    """The grades of the current bands, read each time a filter is checked: a grade outside
    them answers 400 with the reason, like any other invalid filter, instead of an empty list
    that looks like "no such leads"."""
    # The selectors build their lists with these filter sets, so they are imported here.
    from .selectors import grade_list

    return [(grade, grade) for grade in grade_list()]


# What django-filter's NumberFilter accepts at most (its get_max_validator).
NUMBER_MAX = 1e50
SCORE_BOUND_SCHEMA = {"type": "number", "maximum": NUMBER_MAX}


class LeadFilter(BlankMeansAnyFilterSet):
    # distinct=False: one lead has one status, and DISTINCT would sort whole rows.
    lead_status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices, distinct=False)
    # A string in the schema: the bands are rows an admin edits, not part of the API.
    grade = extend_schema_field(
        {"type": "string", "description": "One of the current grade bands; another answers 400."}
    )(
        django_filters.ChoiceFilter(
            choices=grade_choices,
            error_messages={"invalid_choice": f"{NOT_A_GRADE}%(value)s."},
        )
    )
    lead_source = django_filters.CharFilter()
    assigned_to = IdFilter(field_name="assigned_to_id")
    unassigned = StrictBooleanFilter(
        field_name="assigned_to", lookup_expr="isnull", label="Unassigned"
    )
    qualified = StrictBooleanFilter()
    converted = StrictBooleanFilter()
    # Number, not integer: the bounds may have decimals (score_min=79.5). django-filter refuses
    # a number over 1e50 (NUMBER_MAX); the schema says so, so clients know before they send one.
    score_min = extend_schema_field(SCORE_BOUND_SCHEMA)(
        django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    )
    score_max = extend_schema_field(SCORE_BOUND_SCHEMA)(
        django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, label="Search name, email or company"
    )
    ordering = django_filters.OrderingFilter(fields=("score", "created_at", "updated_at"))

    class Meta:
        model = Lead
        fields: list[str] = []

    @extend_schema_field({"type": "string", "maxLength": 200})
    def filter_search(self, queryset: QuerySet[Lead], name: str, value: str) -> QuerySet[Lead]:
        return lead_search(queryset, value)

    def filter_queryset(self, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        queryset = super().filter_queryset(queryset)
        # The pk breaks ties, so that pages never repeat or skip a lead.
        return queryset.order_by(*(queryset.query.order_by or ["-created_at"]), "-pk")


class TaskFilter(BlankMeansAnyFilterSet):
    lead = django_filters.UUIDFilter(field_name="lead_id")
    owner = IdFilter(field_name="owner_id")
    open = StrictBooleanFilter(field_name="completed_at", lookup_expr="isnull", label="Open")
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        return super().filter_queryset(queryset).order_by("due_at", "pk")
