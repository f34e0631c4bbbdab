from django.contrib import admin

from crm.admin import DateHierarchyAdmin

from .models import Company, Contact, Deal


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "domain",
        "industry",
        "employee_count",
        "annual_revenue",
        "owner",
        "created_at",
    )
    list_filter = ("industry",)
    search_fields = ("name", "domain")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "title", "company", "owner", "created_at")
    search_fields = ("email", "first_name", "last_name", "company__name")
    list_select_related = ("company", "owner")
    autocomplete_fields = ("company", "owner")
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Deal)
class DealAdmin(DateHierarchyAdmin):
    list_display = ("name", "stage", "amount", "close_date", "company", "owner", "created_at")
    list_filter = ("stage",)
    search_fields = ("name", "company__name", "contact__email")
    list_select_related = ("company", "owner")
    autocomplete_fields = ("company", "contact", "owner")
    readonly_fields = ("id", "created_at", "updated_at")
    date_hierarchy = "created_at"
