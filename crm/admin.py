from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .dead_letters import dead_letters_retry
from .models import DeadLetter, OutboxMessage, User
from .services import user_role_apply

if TYPE_CHECKING:
    from django.contrib.admin.filters import ListFilter
    from django.contrib.admin.options import _FieldsetSpec


class BoundedDatesChangeList(ChangeList):
    def get_filters(
        self, request: HttpRequest
    ) -> tuple[list["ListFilter"], bool, dict[str, bool | str], bool, bool]:
        # The date drill-down adds a day, a month or a year to the date in the query string;
        # past 9999-12-31 Python's dates overflow, which Django lets through as a 500.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise BadRequest("The date is outside the calendar.") from exc


class DateHierarchyAdmin(admin.ModelAdmin):
    """A model admin whose date drill-down answers 400 for a date past the calendar."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return BoundedDatesChangeList


def _pk_or_404(field: "models.Field[Any, Any] | None", value: str) -> None:
    if field is None:
        raise Http404
    try:
        field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        raise Http404 from None


class HistoryAdmin(SimpleHistoryAdmin, DateHierarchyAdmin):
    """SimpleHistoryAdmin whose History pages answer 404 for an id that is not one.

    Unlike the change page, django-simple-history queries with the id as typed, so a value
    the primary key cannot hold raises in the database layer (a 500).
    """

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _pk_or_404(self.model._meta.pk, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        _pk_or_404(self.model._meta.pk, unquote(object_id))
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _pk_or_404(history.model._meta.pk, unquote(version_id))
        return super().history_form_view(request, object_id, version_id, extra_context)


class RecordAdmin(DateHierarchyAdmin):
    """A record of what happened: read in admin, never added, rewritten or deleted there."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers manage everything; sales managers may edit reps' names and availability only."""

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
        *(DjangoUserAdmin.fieldsets or ()),
        ("Sales", {"fields": ("role", "is_available", "max_open_leads")}),
    )
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Sales", {"fields": ("email", "role")}))
    manager_fieldsets: ClassVar["_FieldsetSpec"] = (
        (None, {"fields": ("username",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Sales", {"fields": ("is_available", "max_open_leads")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> "_FieldsetSpec":
        if obj is not None and not request.user.is_superuser:
            return self.manager_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(
        self, request: HttpRequest, obj: User | None = None
    ) -> list[str] | tuple[str, ...]:
        if not request.user.is_superuser:
            return ("username",)
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Staff accounts hold admin rights; only a superuser may touch them.
        if (
            obj is not None
            and obj.is_staff
            and not request.user.is_superuser
            and obj != request.user
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_related(
        self,
        request: HttpRequest,
        form: "ModelForm[User]",
        formsets: "list[BaseFormSet[Any]]",
        change: bool,
    ) -> None:
        # After the form's own groups are saved, or they would undo the role's group.
        super().save_related(request, form, formsets, change)
        if "role" in form.changed_data:
            user_role_apply(form.instance)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class SettingsAdmin(admin.ModelAdmin):
    """Admin for a SettingsModel: its one row can be edited, not added twice or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self.model._default_manager.exists()

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(DateHierarchyAdmin):
    """Tasks that failed after all retries; a manager sends them again once the cause is fixed."""

    list_display = ("task", "error_short", "failed_at", "retried_at")
    list_filter = ("task", ("retried_at", admin.EmptyFieldListFilter))
    date_hierarchy = "failed_at"
    readonly_fields = [field.name for field in DeadLetter._meta.fields]
    actions = ["retry"]

    @admin.display(description="error")
    def error_short(self, obj: DeadLetter) -> str:
        return obj.error[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected tasks again", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        sent = dead_letters_retry(queryset)
        self.message_user(request, f"{sent} task(s) sent again.", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """Tasks written but not yet handed to the broker: a long list here means Redis is down."""

    list_display = ("task", "args", "created_at", "attempts", "last_error")
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]


def date_hierarchy_bound(model: type[models.Model]) -> None:
    """Register another app's admin for `model` again, with the bounded date drill-down."""
    registered = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    bounded = type(registered.__name__, (DateHierarchyAdmin, registered), {"__module__": __name__})
    admin.site.register(model, bounded)


# The apps installed before this one (axes, django-celery-beat) have registered their admins by
# now; the project's own apps use DateHierarchyAdmin themselves.
for model, model_admin in list(admin.site._registry.items()):
    if model_admin.date_hierarchy and not isinstance(model_admin, DateHierarchyAdmin):
        date_hierarchy_bound(model)
