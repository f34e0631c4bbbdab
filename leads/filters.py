import django_filters
from django import forms

from .models import Lead, LeadStatus, Task
from .search import lead_search

BOOLEAN_CHOICES = [("", "any"), ("true", "yes"), ("false", "no")]


class IdFilter(django_filters.Filter):
    """A whole positive number that fits a database id; anything else answers 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """true or false; anything else answers 400 instead of silently matching everything."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class LeadFilter(django_filters.FilterSet):
    # distinct=False: one lead has one status, and DISTINCT would sort whole rows.
    lead_status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices, distinct=False)
    grade = django_filters.CharFilter()
    lead_source = django_filters.CharFilter()
    assigned_to = IdFilter(field_name="assigned_to_id")
    unassigned = StrictBooleanFilter(
        field_name="assigned_to", lookup_expr="isnull", label="Unassigned"
    )
    qualified = StrictBooleanFilter()
    converted = StrictBooleanFilter()
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, label="Search name, email or company"
    )
    ordering = django_filters.OrderingFilter(fields=("score", "created_at", "updated_at"))

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return lead_search(queryset, value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # The pk breaks ties, so that pages never repeat or skip a lead.
        return queryset.order_by(*(queryset.query.order_by or ["-created_at"]), "-pk")


class TaskFilter(django_filters.FilterSet):
    lead = django_filters.UUIDFilter(field_name="lead_id")
    owner = IdFilter(field_name="owner_id")
    open = StrictBooleanFilter(field_name="completed_at", lookup_expr="isnull", label="Open")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).order_by("due_at", "pk")
