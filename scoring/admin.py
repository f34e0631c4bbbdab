from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from crm.admin import HistoryAdmin, SettingsAdmin

from .models import GradeBand, ScoringRule, ScoringSettings
from .services import scoring_rules_changed


class RescoreOnChangeAdmin(HistoryAdmin):
    """Every saved or deleted row changes scores: rescore all leads in the background.

    Reverting to an earlier version on the History page saves through save_model too.
    """

    def save_model(
        self, request: HttpRequest, obj: Model, form: "ModelForm[Any]", change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        scoring_rules_changed()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        scoring_rules_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        scoring_rules_changed()


@admin.register(ScoringRule)
class ScoringRuleAdmin(RescoreOnChangeAdmin):
    list_display = ("name", "category", "condition", "points", "tier", "active")
    list_filter = ("active", "category", "tier")
    list_editable = ("points", "active")
    search_fields = ("name", "field", "value")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "category", "active")}),
        ("Condition", {"fields": ("field", "operator", "value", "points", "tier")}),
        ("Behavioral", {"fields": ("max_occurrences", "window_days")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Condition")
    def condition(self, rule: ScoringRule) -> str:
        return f"{rule.field} {rule.get_operator_display()} {rule.value}".strip()


@admin.register(GradeBand)
class GradeBandAdmin(RescoreOnChangeAdmin):
    list_display = ("grade", "min_score")
    list_editable = ("min_score",)


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(RescoreOnChangeAdmin, SettingsAdmin):
    list_display = ("__str__", "qualify_threshold")
