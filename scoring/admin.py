from django.contrib import admin

from .models import ScoringRule


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "field", "operator", "value", "points", "active", "updated_at")
    list_filter = ("active", "field", "operator")
    list_editable = ("active",)
    search_fields = ("name", "field", "value")
    readonly_fields = ("id", "created_at", "updated_at")
