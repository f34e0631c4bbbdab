"""Reads of leads, each scoped to what the asking user may see."""

from django.apps import apps
from django.db.models import QuerySet

from crm.models import User

from .filters import LeadFilter
from .models import Lead, LeadActivity, LeadStatus, Task

# Nothing more is owed on these: a rep's queue leaves them out unless asked for by status.
CLOSED_STATUSES = (LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED)


def lead_visible_to(user: User) -> QuerySet[Lead]:
    """Managers see every lead; a rep sees the leads assigned to them; anyone else none."""
    leads = Lead.objects.all()
    if user.is_manager:
        return leads
    if user.is_rep:
        return leads.filter(assigned_to=user)
    return leads.none()


def lead_queue_list(*, user: User, params) -> tuple[LeadFilter, QuerySet[Lead]]:
    """The user's leads through the queue's filters, as the page lists them and the export
    writes them: reps see their open leads unless they filter by status; hottest first
    unless another order is asked for. An invalid filter gives no rows, never all of them;
    the filter set's errors say why."""
    filterset = LeadFilter(params, queryset=lead_visible_to(user))
    if not filterset.is_valid():
        return filterset, Lead.objects.none()
    rows = filterset.qs.select_related("assigned_to")
    if user.is_rep and not filterset.form.cleaned_data.get("lead_status"):
        rows = rows.exclude(lead_status__in=CLOSED_STATUSES)
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
