from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_available",
        "max_open_leads",
        "is_active",
    )
    list_filter = ("role", "is_available", "is_active", "is_staff")
    list_editable = ("is_available",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Sales", {"fields": ("role", "is_available", "max_open_leads")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Sales", {"fields": ("email", "role")}),
    )
