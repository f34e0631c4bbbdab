from django.contrib import admin

from .models import AssignmentRule


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "assignee", "active", "updated_at")
    list_editable = ("priority", "active")
    list_filter = ("active",)
    list_select_related = ("assignee",)
    search_fields = ("name",)
    autocomplete_fields = ("assignee",)
    readonly_fields = ("created_at", "updated_at")
