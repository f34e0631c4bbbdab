from typing import Any

from django.contrib import admin
from django.db.models import Count, ForeignKey, ManyToManyField, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from crm.admin import HistoryAdmin, SettingsAdmin
from crm.selectors import lead_assignee_list

from .models import (
    AssignmentRule,
    NurtureEnrollment,
    NurtureSequence,
    NurtureStep,
    RoutingSettings,
    Team,
)


@admin.register(Team)
class TeamAdmin(HistoryAdmin):
    list_display = ("name", "member_count", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(_members=Count("members"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, team: Team) -> int:
        return team._members  # type: ignore[attr-defined]  # annotated by get_queryset

    def formfield_for_manytomany(
        self, db_field: "ManyToManyField[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        # Routing deals a team's leads only to those who may receive one; anyone else in the
        # pool would never get a lead, and nothing would say why.
        if db_field.name == "members":
            kwargs["queryset"] = lead_assignee_list()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(HistoryAdmin):
    list_display = ("name", "priority", "assignee", "team", "active", "updated_at")
    list_editable = ("priority", "active")
    list_filter = ("active", "team")
    list_select_related = ("assignee", "team")
    search_fields = ("name",)
    autocomplete_fields = ("assignee",)
    readonly_fields = ("created_at", "updated_at")

    def formfield_for_foreignkey(
        self, db_field: "ForeignKey[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        # A rule naming someone routing never deals to would match and hand out nothing.
        if db_field.name == "assignee":
            kwargs["queryset"] = lead_assignee_list()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(HistoryAdmin, SettingsAdmin):
    list_display = ("__str__", "sales_ready_threshold", "response_sla_hours")


class NurtureStepInline(admin.StackedInline):
    model = NurtureStep
    extra = 0
    fields = (
        "position",
        "delay_hours",
        "action",
        "subject",
        "body",
        "task_title",
        "task_for",
        "status",
    )


@admin.register(NurtureSequence)
class NurtureSequenceAdmin(HistoryAdmin):
    list_display = ("name", "priority", "active", "created_at")
    list_editable = ("priority", "active")
    inlines = (NurtureStepInline,)


@admin.register(NurtureStep)
class NurtureStepAdmin(HistoryAdmin):
    """Steps are edited inline on their sequence; here each one has its own History."""

    list_display = ("__str__", "sequence", "position", "delay_hours", "action")
    list_filter = ("sequence", "action")
    list_select_related = ("sequence",)


@admin.register(NurtureEnrollment)
class NurtureEnrollmentAdmin(admin.ModelAdmin):
    list_display = (
        "lead",
        "sequence",
        "enrolled_at",
        "next_position",
        "next_step_at",
        "exited_at",
        "exit_reason",
    )
    list_filter = ("sequence", "exit_reason")
    list_select_related = ("lead", "sequence")
    raw_id_fields = ("lead",)
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
