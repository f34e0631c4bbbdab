"""Reads of people."""

from django.db.models import Case, Q, QuerySet, Value, When

from .models import Role, User


def manager_list() -> QuerySet[User]:
    """Sales managers and superusers: the people who see every lead."""
    return User.objects.filter(Q(role=Role.MANAGER) | Q(is_superuser=True))


def manager_active_list() -> QuerySet[User]:
    """The managers who can act today: those emailed about the team's leads."""
    return manager_list().filter(is_active=True)


def manager_pick() -> User | None:
    """The one manager a lead goes to when it needs a manager and has no owner to ask.

    Sales managers come before superusers who hold another role (an administrator is the
    last resort, not the first), then the longest-standing account, so the choice is stable.
    """
    return (
        manager_active_list()
        .order_by(Case(When(role=Role.MANAGER, then=Value(0)), default=Value(1)), "pk")
        .first()
    )


def lead_assignee_list() -> QuerySet[User]:
    """Who may receive a lead, by routing or from a manager: active reps.

    A lead's owner is a rep: routing deals leads to reps, the response-time SLA and the
    dashboard measure reps, and a manager sees and acts on every lead without owning it. The
    API, the pages and admin all offer and accept exactly these people.
    """
    return User.objects.filter(is_active=True, role=Role.REP).order_by("username", "pk")
