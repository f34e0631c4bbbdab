"""Reads of people."""

from django.db.models import BooleanField, Case, ExpressionWrapper, Q, QuerySet, Value, When

from .models import Role, User

# Sales managers and superusers: the people who see every lead.
MANAGER_Q = Q(role=Role.MANAGER) | Q(is_superuser=True)
# Who may receive a lead (lead_assignee_list).
LEAD_ASSIGNEE_Q = Q(is_active=True, role=Role.REP)
# What the API, the pages and admin answer when someone else is named as a lead's owner.
LEAD_ASSIGNEE_RULE = "Only an active rep can own a lead."
# Who may own a task (task_owner_list).
TASK_OWNER_Q = LEAD_ASSIGNEE_Q | (Q(is_active=True) & MANAGER_Q)
TASK_OWNER_RULE = "Only an active rep or an active manager can own a task."


def manager_list() -> QuerySet[User]:
    """Sales managers and superusers: the people who see every lead."""
    return User.objects.filter(MANAGER_Q)


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
    return User.objects.filter(LEAD_ASSIGNEE_Q).order_by("username", "pk")


def lead_owner_choice_list(*, current_id: int | None) -> QuerySet[User]:
    """Whom a lead's owner may be set to: those who may receive a lead, and whoever owns it now.

    An owner who has since left (or who predates the rule) stays a choice, so a form sent
    back unchanged keeps them; anyone else outside lead_assignee_list is refused. Each has
    `may_own`: whether lead_assignee_list holds them.
    """
    return _choices(LEAD_ASSIGNEE_Q, current_id)


def task_owner_list() -> QuerySet[User]:
    """Who may own a task: active reps and active managers.

    A rep works the tasks of the leads they own; a manager sees every lead, keeps the tasks
    they took on when the lead changes hands (leads' tasks_follow_owner) and is given those
    automation asks of a manager (manager_pick).
    """
    return User.objects.filter(TASK_OWNER_Q).order_by("username", "pk")


def task_owner_choice_list(*, current_id: int | None) -> QuerySet[User]:
    """Whom a task's owner may be set to: task_owner_list, and whoever owns it now (kept as
    lead_owner_choice_list keeps a lead's owner)."""
    return _choices(TASK_OWNER_Q, current_id)


def _choices(rule: Q, current_id: int | None) -> QuerySet[User]:
    """The people `rule` allows, and the current one; `may_own` says which the rule allows."""
    kept = Q(pk=current_id) if current_id is not None else Q(pk__in=[])
    return (
        User.objects.filter(rule | kept)
        .annotate(may_own=ExpressionWrapper(rule, output_field=BooleanField()))
        .order_by("username", "pk")
    )
