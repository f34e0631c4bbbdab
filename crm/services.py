"""Writes to people: creating reps and managers and giving them their permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from .models import Role, User

MANAGERS_GROUP = "Sales managers"
# Managers run the sales process in admin: leads, rules, customers; and rep availability.
MANAGER_APPS = ("leads", "scoring", "assignment", "conversion")
# Failed background tasks are the managers' to look at and send again; pending ones to watch.
MANAGER_CRM_PERMISSIONS = (
    "view_user",
    "change_user",
    "view_deadletter",
    "change_deadletter",
    "view_outboxmessage",
)
# Failed logins: managers see them and lift a lockout by deleting its access attempts.
MANAGER_AXES_PERMISSIONS = (
    "view_accessattempt",
    "delete_accessattempt",
    "view_accesslog",
    "view_accessfailurelog",
)


def managers_group_ensure() -> Group:
    """The managers' group; its permissions are set once, then left to the administrators."""
    group, created = Group.objects.get_or_create(name=MANAGERS_GROUP)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label__in=MANAGER_APPS)
                | Q(content_type__app_label="crm", codename__in=MANAGER_CRM_PERMISSIONS)
                | Q(content_type__app_label="axes", codename__in=MANAGER_AXES_PERMISSIONS)
            )
        )
    return group


def user_role_apply(user: User) -> None:
    """Managers sign in to admin as members of the managers' group; reps do not."""
    group = managers_group_ensure()
    if user.is_superuser:
        return
    user.is_staff = user.role == Role.MANAGER
    user.save(update_fields=["is_staff"])
    if user.role == Role.MANAGER:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def user_upsert(
    *, username: str, role: Role, email: str | None = None, password: str | None = None
) -> tuple[User, bool]:
    """Create or update a rep or a manager; managers may sign in to admin."""
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(username=username)
        user.role = role
        user.is_active = True
        if email is not None:
            user.email = email
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        user_role_apply(user)
    return user, created
