from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from crm.admin import DateHierarchyAdmin, RecordAdmin
from crm.models import User
from crm.selectors import (
    LEAD_ASSIGNEE_RULE,
    TASK_OWNER_RULE,
    lead_assignee_list,
    lead_owner_choice_list,
    task_owner_choice_list,
)

from .forms import OwnerChoiceField
from .models import CaptureForm, CaptureKey, FollowUpStep, Lead, LeadActivity, LeadChange, Task
from .selectors import lead_activity_list, lead_with_nurture
from .services import (
    CAPTURE_FIELDS,
    MANUAL_STATUSES,
    RECORD_FIELDS,
    WORKFLOW_FIELDS,
    LeadUpdateError,
    email_normalize,
    lead_assign,
    lead_capture,
    lead_editable_fields,
    lead_status_change_check,
    lead_update,
)
from .views import HONEYPOT_FIELD

# The package's own key model is unused: capture keys are CaptureKey rows.
admin.site.unregister(APIKey)


class TaskAdminForm(forms.ModelForm):
    """A task's owner is picked from task_owner_list; whoever owns it now stays a choice."""

    owner = OwnerChoiceField(
        queryset=task_owner_choice_list(current_id=None), rule=TASK_OWNER_RULE, required=False
    )

    class Meta:
        model = Task
        fields = ["lead", "title", "owner", "priority", "due_at", "completed_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(OwnerChoiceField, self.fields["owner"])
        owner.queryset = task_owner_choice_list(current_id=self.instance.owner_id)


class TaskInline(admin.TabularInline):
    model = Task
    form = TaskAdminForm
    extra = 0
    fields = ("title", "owner", "priority", "due_at", "completed_at")


class LeadAdminForm(forms.ModelForm):
    # Not an autocomplete: that would search every user. Who may own a lead is one rule
    # (lead_assignee_list), and the owner the lead has now stays a choice, so saving other
    # changes keeps them even after they left.
    assigned_to = OwnerChoiceField(
        queryset=lead_owner_choice_list(current_id=None), rule=LEAD_ASSIGNEE_RULE, required=False
    )

    class Meta:
        model = Lead
        fields = [
            *CAPTURE_FIELDS,
            "email",
            "lead_source",
            "lead_status",
            "assigned_to",
            "custom_fields",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(OwnerChoiceField, self.fields["assigned_to"])
        owner.queryset = lead_owner_choice_list(current_id=self.instance.assigned_to_id)

    def clean_email(self) -> str:
        try:
            return email_normalize(self.cleaned_data["email"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_lead_status(self) -> str:
        status = self.cleaned_data["lead_status"]
        if self.instance.pk:
            try:
                lead_status_change_check(self.instance.lead_status, status)
            except LeadUpdateError as exc:
                raise forms.ValidationError(str(exc)) from exc
        elif status not in MANUAL_STATUSES:
            raise forms.ValidationError("A new lead starts as new or contacted.")
        return status


TIMELINE_ROWS = 50


def admin_user(request: HttpRequest) -> User:
    """The signed-in user of an admin request (admin lets no one else in)."""
    assert isinstance(request.user, User)
    return request.user


class AssignActionForm(ActionForm):
    user = forms.ModelChoiceField(
        queryset=lead_assignee_list(),
        required=False,
        label="Rep",
    )


@admin.register(Lead)
class LeadAdmin(DateHierarchyAdmin):
    """Edits go through the lead services, so the timeline records them like any other."""

    form = LeadAdminForm
    list_display = (
        "email",
        "name",
        "company",
        "lead_status",
        "score",
        "grade",
        "assigned_to",
        "created_at",
    )
    list_filter = ("lead_status", "grade", "lead_source", "qualified", "converted", "assigned_to")
    search_fields = ("email", "first_name", "last_name", "company")
    list_select_related = ("assigned_to",)
    date_hierarchy = "created_at"
    # Score, qualification and conversion belong to their workflows, not to a form.
    readonly_fields = (*WORKFLOW_FIELDS, *RECORD_FIELDS, "nurture", "timeline", "history")
    inlines = (TaskInline,)
    action_form = AssignActionForm
    actions = ("assign_to_rep",)
    fieldsets = (
        (None, {"fields": ("id", "first_name", "last_name", "email", "phone", "company", "title")}),
        ("Firmographics", {"fields": ("industry", "employee_count", "annual_revenue")}),
        (
            "Pipeline",
            {
                "fields": (
                    "lead_source",
                    "lead_status",
                    "score",
                    "grade",
                    "qualified",
                    "qualified_at",
                    "assigned_to",
                    "assigned_at",
                    "first_response_at",
                    "response_escalated_at",
                )
            },
        ),
        ("Nurture", {"fields": ("nurture",)}),
        ("Conversion", {"fields": ("converted", "converted_at", "contact")}),
        ("More", {"fields": ("custom_fields", "do_not_email", "created_at", "updated_at")}),
        ("Timeline", {"fields": ("timeline",)}),
        ("Owner, status and score history", {"fields": ("history",)}),
    )

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj: Lead) -> str:
        return obj.full_name

    @admin.display(description="Nurture")
    def nurture(self, obj: Lead) -> str:
        """The open enrollment's sequence and next step, as the lead API shows them. Read for
        the change page only (the list does not show it), so the list's queries stay as they
        are."""
        if obj._state.adding:
            return "-"
        lead = lead_with_nurture(obj)
        sequence = getattr(lead, "nurture_sequence", None)
        if sequence is None:
            return "Not nurtured"
        next_at = getattr(lead, "nurture_next_step_at", None)
        if next_at is None:
            return f"{sequence}: no step left"
        return f"{sequence}: next step {date_format(localtime(next_at), 'DATETIME_FORMAT')}"

    @admin.display(description=f"Latest {TIMELINE_ROWS} activities")
    def timeline(self, obj: Lead) -> str:
        # A new lead has its id before it is saved (a UUID default), so ask whether it is.
        if obj._state.adding:
            return "-"
        rows = lead_activity_list(lead=obj)[:TIMELINE_ROWS]
        return render_to_string("leads/admin_timeline.html", {"activities": rows})

    @admin.display(description=f"Latest {TIMELINE_ROWS} changes")
    def history(self, obj: Lead) -> str:
        if obj._state.adding:
            return "-"
        rows = LeadChange.objects.filter(lead=obj).select_related("owner_before", "owner_after")
        return render_to_string(
            "leads/admin_history.html", {"changes": rows[:TIMELINE_ROWS], "lead": obj}
        )

    @admin.action(description="Assign the selected leads to the chosen rep")
    def assign_to_rep(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        try:
            rep = AssignActionForm.base_fields["user"].clean(request.POST.get("user"))
        except forms.ValidationError:
            rep = None
        if rep is None:
            self.message_user(request, "Choose a rep to assign the leads to.", messages.WARNING)
            return
        for lead in queryset:
            lead_assign(lead=lead, to=rep, by=admin_user(request))
        self.message_user(request, f"Assigned {queryset.count()} leads to {rep}.", messages.SUCCESS)

    def save_model(
        self, request: HttpRequest, obj: Lead, form: "forms.ModelForm[Lead]", change: bool
    ) -> None:
        user = admin_user(request)
        if change:
            editable = lead_editable_fields(user)
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in editable}
            lead_update(lead=Lead.objects.get(pk=obj.pk), data=data, by=user)
            return
        values = {name: form.cleaned_data.get(name) for name in CAPTURE_FIELDS}
        result = lead_capture(
            email=form.cleaned_data["email"],
            source=form.cleaned_data["lead_source"],
            values=values,
            custom_fields=form.cleaned_data.get("custom_fields") or {},
            received_via=f"admin: {request.user.get_username()}",
        )
        later = {
            name: form.cleaned_data[name]
            for name in ("lead_status", "assigned_to")
            if form.cleaned_data.get(name) and form.cleaned_data[name] != getattr(result.lead, name)
        }
        if later:
            lead_update(lead=result.lead, data=later, by=user)
        # The admin goes on with this object (inlines, redirect): make it the saved lead.
        obj.pk = result.lead.pk
        obj._state.adding = False


@admin.register(LeadActivity)
class LeadActivityAdmin(RecordAdmin):
    """The timeline is a record: it can be read here, never rewritten."""

    list_display = ("lead", "type", "description", "created_by", "created_at")
    list_filter = ("type",)
    search_fields = ("lead__email", "description")
    list_select_related = ("lead", "created_by")
    raw_id_fields = ("lead", "created_by")
    date_hierarchy = "created_at"


@admin.register(LeadChange)
class LeadChangeAdmin(RecordAdmin):
    """Written by a database trigger on every change of owner, status or score: read only."""

    list_display = (
        "lead",
        "changed_at",
        "owner_before",
        "owner_after",
        "status_before",
        "status_after",
        "score_before",
        "score_after",
    )
    list_filter = ("status_after", "owner_after")
    search_fields = ("lead__email",)
    list_select_related = ("lead", "owner_before", "owner_after")
    raw_id_fields = ("lead",)
    # Counting millions of rows for the paginator would cost more than the page.
    show_full_result_count = False


@admin.register(Task)
class TaskAdmin(DateHierarchyAdmin):
    list_display = ("title", "lead", "owner", "priority", "due_at", "completed_at")
    list_filter = ("priority", ("completed_at", admin.EmptyFieldListFilter), "owner")
    search_fields = ("title", "lead__email")
    list_select_related = ("lead", "owner")
    raw_id_fields = ("lead",)
    form = TaskAdminForm
    readonly_fields = ("id", "created_at")
    date_hierarchy = "due_at"


@admin.register(FollowUpStep)
class FollowUpStepAdmin(admin.ModelAdmin):
    """The follow-up schedule a lead's first owner gets."""

    list_display = ("title", "due_after_days", "priority", "active")
    list_editable = ("due_after_days", "priority", "active")


@admin.register(CaptureKey)
class CaptureKeyAdmin(APIKeyModelAdmin):
    """Shows the raw key once, in a message, when a key is created."""


@admin.register(CaptureForm)
class CaptureFormAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "default_source", "success_url", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "key")
    readonly_fields = ("key", "created_at", "html_snippet")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="HTML to paste into the marketing site")
    def html_snippet(self, obj: CaptureForm) -> str:
        if not obj.pk:
            return "Save the form to get its snippet."
        snippet = render_to_string(
            "leads/capture_form_snippet.html",
            {"action": f"{settings.SITE_URL}/forms/{obj.key}/", "honeypot": HONEYPOT_FIELD},
        )
        return format_html('<pre style="white-space:pre-wrap">{}</pre>', snippet.strip())
