"""Reads of leads, each scoped to what the asking user may see."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from django.apps import apps
from django.db.models import Case, CharField, Count, F, FilteredRelation, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from crm.models import User

from .filters import LeadFilter
from .models import Lead, LeadActivity, LeadStatus, Task

# Nothing more is owed on these: a rep's queue leaves them out unless asked for by status.
CLOSED_STATUSES = (LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED)


def lead_open_q(prefix: str = "") -> Q:
    """An open lead: one sales still works, as rep queues, routing, rep workloads and the SLA
    count them. `prefix` reaches leads through a relation (`"leads__"` from a user).

    Converted counts twice, by flag and by status: the two are written together, but a lead
    flagged converted is closed whatever its status says.
    """
    return Q(**{f"{prefix}converted": False}) & ~Q(**{f"{prefix}lead_status__in": CLOSED_STATUSES})


def lead_visible_to(user: User) -> QuerySet[Lead]:
    """Managers see every lead; a rep sees the leads assigned to them; anyone else none."""
    leads = Lead.objects.all()
    if user.is_manager:
        return leads
    if user.is_rep:
        return leads.filter(assigned_to=user)
    return leads.none()


def lead_queue_list(*, user: User, params: Mapping[str, Any]) -> tuple[LeadFilter, QuerySet[Lead]]:
    """The user's leads through the queue's filters, as the page lists them and the export
    writes them: reps see their open leads unless they filter by status; hottest first
    unless another order is asked for. An invalid filter gives no rows, never all of them;
    the filter set's errors say why."""
    filterset = LeadFilter(params, queryset=lead_visible_to(user))
    if not filterset.is_valid():
        return filterset, Lead.objects.none()
    rows = filterset.qs.select_related("assigned_to")
    if user.is_rep and not filterset.form.cleaned_data.get("lead_status"):
        rows = rows.filter(lead_open_q())
    if not filterset.form.cleaned_data.get("ordering"):
        rows = rows.order_by("-score", "created_at", "pk")
    return filterset, rows


def grade_list() -> list[str]:
    """The grades of the current bands, best first. Scoring owns the bands; they are read by
    name, as a string foreign key would, so that leads does not import scoring."""
    bands = apps.get_model("scoring", "GradeBand").objects.order_by("-min_score")
    return list(bands.values_list("grade", flat=True))


def lead_activity_list(*, lead: Lead) -> QuerySet[LeadActivity]:
    return lead.activities.select_related("created_by").order_by("-created_at", "-pk")


def task_visible_to(user: User) -> QuerySet[Task]:
    """Managers see every task; a rep sees the tasks they own on leads they may see.

    Owning a task is not enough: a task left behind on a lead that moved to someone else
    would let its old owner complete it and write on a timeline they can no longer read.
    """
    tasks = Task.objects.all()
    if user.is_manager:
        return tasks
    if user.is_rep:
        return tasks.filter(owner=user, lead__assigned_to=user)
    return tasks.none()


def task_open_list(*, user: User) -> QuerySet[Task]:
    """The user's own open tasks, on leads they may see."""
    return task_visible_to(user).filter(owner=user, completed_at__isnull=True)


class TaskGroup(NamedTuple):
    title: str
    tasks: list[Task]
    total: int


def task_due_groups(*, user: User, now: datetime, per_group: int) -> list[TaskGroup]:
    """The user's open tasks by when they fall due: overdue, due today (the day of `now`, in
    its time zone), upcoming; the earliest `per_group` of each, and how many each holds.
    Four queries whatever the number of tasks: one count of all three, one list per group."""
    end_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    mine = task_open_list(user=user)
    windows = [
        ("Overdue", Q(due_at__lt=now)),
        ("Due today", Q(due_at__gte=now, due_at__lt=end_of_today)),
        ("Upcoming", Q(due_at__gte=end_of_today)),
    ]
    counts = mine.aggregate(
        **{f"n{i}": Count("pk", filter=window) for i, (_, window) in enumerate(windows)}
    )
    return [
        TaskGroup(
            title,
            list(mine.filter(window).select_related("lead").order_by("due_at", "pk")[:per_group]),
            counts[f"n{i}"],
        )
        for i, (title, window) in enumerate(windows)
    ]


def lead_page_get(*, user: User, pk: UUID) -> Lead:
    """The lead with what its page shows of it, if the user may see it. Http404 otherwise:
    another rep's lead must look exactly like one that does not exist."""
    return get_object_or_404(
        lead_nurture_annotate(lead_visible_to(user).select_related("assigned_to", "contact")),
        pk=pk,
    )


def lead_task_open_list(*, lead: Lead) -> QuerySet[Task]:
    """The lead's open tasks, whoever owns them, soonest due first."""
    return lead.tasks.filter(completed_at__isnull=True).select_related("owner").order_by("due_at")


def lead_overdue_ids(*, lead_ids: Iterable[UUID], now: datetime) -> set[UUID]:
    """Which of these leads have a follow-up past due: one indexed query for a page of the
    queue, not a subquery per row."""
    overdue = Task.objects.filter(
        lead_id__in=list(lead_ids), completed_at__isnull=True, due_at__lt=now
    )
    return set(overdue.values_list("lead_id", flat=True))


# Who may be nurtured: a lead nobody in sales has yet (unassigned, not qualified, neither
# converted nor unqualified) that accepts email. Each cause that ends it, as field lookups any
# of which is enough, first cause first: the first that holds is the reason nurturing records.
NURTURE_ENDS: tuple[tuple[str, tuple[dict[str, object], ...]], ...] = (
    ("unsubscribed", ({"do_not_email": True},)),
    ("converted", ({"converted": True}, {"lead_status": LeadStatus.CONVERTED})),
    ("disqualified", ({"lead_status": LeadStatus.UNQUALIFIED},)),
    ("qualified", ({"qualified": True},)),
    ("assigned", ({"assigned_to__isnull": False},)),
)


def _any_of(alternatives: tuple[dict[str, object], ...], prefix: str) -> Q:
    q = Q()
    for lookups in alternatives:
        q |= Q(**{prefix + name: value for name, value in lookups.items()})
    return q


def lead_nurture_ended_q(prefix: str = "") -> Q:
    """Leads that may no longer be nurtured; `prefix` reaches them through a relation
    (`"lead__"` from a nurture enrollment)."""
    q = Q()
    for _, alternatives in NURTURE_ENDS:
        q |= _any_of(alternatives, prefix)
    return q


def lead_nurture_end_reason(prefix: str = "") -> Case:
    """Why the lead may no longer be nurtured (NURTURE_ENDS), or '' if it may."""
    return Case(
        *(
            When(_any_of(alternatives, prefix), then=Value(reason))
            for reason, alternatives in NURTURE_ENDS
        ),
        default=Value(""),
        output_field=CharField(),
    )


def lead_may_be_nurtured(*, lead_id: UUID) -> bool:
    return Lead.objects.filter(pk=lead_id).exclude(lead_nurture_ended_q()).exists()


def lead_nurture_annotate(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """The leads with their nurturing as the API and the lead page show it: `nurture_sequence`
    (the sequence's name) and `nurture_next_step_at`, from the open enrollment, and null for a
    lead that may no longer be nurtured, even before nurturing has recorded its exit.

    Joins in the same query (at most one open enrollment per lead), so a list stays at its
    number of queries. Read by relation name, so leads does not import assignment.
    """
    nurtured = ~lead_nurture_ended_q()
    return leads.alias(
        open_nurture=FilteredRelation(
            "nurture_enrollments", condition=Q(nurture_enrollments__exited_at__isnull=True)
        )
    ).annotate(
        nurture_sequence=Case(When(nurtured, then=F("open_nurture__sequence__name")), default=None),
        nurture_next_step_at=Case(
            When(nurtured, then=F("open_nurture__next_step_at")), default=None
        ),
    )


def lead_with_nurture(lead: Lead) -> Lead:
    """The lead read again with its nurturing (lead_nurture_annotate), as a write left it."""
    return lead_nurture_annotate(Lead.objects.filter(pk=lead.pk)).get()
