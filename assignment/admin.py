from typing import Any

from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Count, ForeignKey, ManyToManyField, QuerySet
from django.forms import ModelChoiceField, ModelForm, ModelMultipleChoiceField
from django.http import HttpRequest

from crm.admin import HistoryAdmin, RecordAdmin, SettingsAdmin
from crm.selectors import LEAD_ASSIGNEE_RULE, lead_assignee_list

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


class AssignmentRuleForm(ModelForm):
    def full_clean(self) -> None:
        super().full_clean()
        # A rep was named who may not receive a lead, and the field says so with the rule.
        # Without them the rule's own check sees no rep and would ask to choose one or a team.
        if self.is_bound and self.has_error("assignee") and not self.cleaned_data.get("team"):
            self.errors.pop(NON_FIELD_ERRORS, None)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(HistoryAdmin):
    form = AssignmentRuleForm
    list_display = ("name", "priority", "assignee", "team", "active", "updated_at")
    list_editable = ("priority", "active")
    list_filter = ("active", "team")
    list_select_related = ("assignee", "team")
    search_fields = ("name",)
    # Not an autocomplete, which would search every user: a plain choice of those who may
    # receive a lead.
    readonly_fields = ("created_at", "updated_at")

    def formfield_for_foreignkey(
        self, db_field: "ForeignKey[Any, Any]", request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        # A rule naming someone routing never deals to would match and hand out nothing.
        if db_field.name == "assignee":
            kwargs["queryset"] = lead_assignee_list()
            kwargs["error_messages"] = {"invalid_choice": LEAD_ASSIGNEE_RULE}
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


# Why an enrollment ended, as people say it: each cause of leads' NURTURE_ENDS, the runner's
# "completed", and the "left" of enrollments closed by assignment 0010.
EXIT_REASONS: dict[str, str] = {
    "unsubscribed": "The lead unsubscribed",
    "converted": "The lead was converted",
    "disqualified": "The lead was marked unqualified",
    "qualified": "The lead qualified for sales",
    "assigned": "The lead was assigned to a rep",
    "completed": "Every step was done",
    "left": "Left nurture before exits had causes",
}
STILL_OPEN = "open"


def exit_reason_label(reason: str) -> str:
    return EXIT_REASONS.get(reason, reason) if reason else "-"


class ExitReasonFilter(admin.SimpleListFilter):
    title = "why it ended"
    parameter_name = "exit_reason"

    def lookups(
        self, request: HttpRequest, model_admin: "admin.ModelAdmin[NurtureEnrollment]"
    ) -> list[tuple[str, str]]:
        return [(STILL_OPEN, "Still open"), *EXIT_REASONS.items()]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[NurtureEnrollment]
    ) -> QuerySet[NurtureEnrollment]:
        value = self.value()
        if value is None:
            return queryset
        if value == STILL_OPEN:
            return queryset.filter(exited_at__isnull=True)
        return queryset.filter(exit_reason=value)


@admin.register(NurtureEnrollment)
class NurtureEnrollmentAdmin(RecordAdmin):
    """Nurture's record of a lead: read here, never written. Enrolling and leaving are the
    runner's (leaving records an exit on the lead's timeline); deleting or editing an open
    enrollment here would end or skip nurturing with nothing to say so."""

    list_display = (
        "lead",
        "sequence",
        "enrolled_at",
        "next_position",
        "next_step_at",
        "exited_at",
        "why_it_ended",
    )
    list_filter = ("sequence", ExitReasonFilter)
    list_select_related = ("lead", "sequence")
    search_fields = ("lead__email", "lead__first_name", "lead__last_name")
    fields = readonly_fields = list_display

    def get_queryset(self, request: HttpRequest) -> QuerySet[NurtureEnrollment]:
        # The page's heading names the lead and the sequence (NurtureEnrollment.__str__).
        return super().get_queryset(request).select_related("lead", "sequence")

    @admin.display(description="Why it ended", ordering="exit_reason")
    def why_it_ended(self, enrollment: NurtureEnrollment) -> str:
        return exit_reason_label(enrollment.exit_reason)
