from django.conf import settings
from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string
from django.utils.html import format_html
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import CaptureForm, CaptureKey, Lead, LeadActivity, Task
from .views import HONEYPOT_FIELD

# The package's own key model is unused: capture keys are CaptureKey rows.
admin.site.unregister(APIKey)


class LeadActivityInline(admin.TabularInline):
    model = LeadActivity
    extra = 0
    fields = ("created_at", "type", "description", "created_by")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ("title", "owner", "priority", "due_at", "completed_at")
    autocomplete_fields = ("owner",)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ("assigned_to",)
    raw_id_fields = ("contact",)
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "score",
        "grade",
        "qualified_at",
        "assigned_at",
        "converted_at",
    )
    inlines = (TaskInline, LeadActivityInline)

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj: Lead) -> str:
        return obj.full_name

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
                )
            },
        ),
        ("Conversion", {"fields": ("converted", "converted_at", "contact")}),
        ("More", {"fields": ("custom_fields", "created_at", "updated_at")}),
    )


@admin.register(LeadActivity)
class LeadActivityAdmin(admin.ModelAdmin):
    list_display = ("lead", "type", "description", "created_by", "created_at")
    list_filter = ("type",)
    search_fields = ("lead__email", "description")
    list_select_related = ("lead", "created_by")
    raw_id_fields = ("lead", "created_by")
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "lead", "owner", "priority", "due_at", "completed_at")
    list_filter = ("priority", ("completed_at", admin.EmptyFieldListFilter), "owner")
    search_fields = ("title", "lead__email")
    list_select_related = ("lead", "owner")
    raw_id_fields = ("lead",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "due_at"


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
