"""The reps' workspace: their queue, a lead with everything to act on it, their tasks.

Every action posts, then redirects to the lead (PRG); htmx follows the redirect and swaps in
just the lead's partial, so the page never reloads and works without JavaScript too.
"""

import csv
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.http import AuthenticatedRequest
from crm.models import User
from crm.selectors import lead_assignee_list

from ..forms import ActivityLogForm, AssignForm, BantForm, StatusForm, owner_choice_label
from ..models import Lead, LeadStatus
from ..selectors import (
    grade_list,
    lead_activity_list,
    lead_overdue_ids,
    lead_page_get,
    lead_queue_list,
    lead_task_open_list,
    task_due_groups,
    task_visible_to,
)
from ..services import (
    Bant,
    LeadClosed,
    LeadUpdateError,
    lead_activity_log,
    lead_assign,
    lead_qualify,
    lead_update,
    task_complete,
    user_label,
)

PAGE_SIZE = 25
TIMELINE_ROWS = 50


View = Callable[..., HttpResponseBase]


def sales_user_required(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (request.user.is_rep or request.user.is_manager):
            raise PermissionDenied("Only sales reps and managers work leads.")
        return view(request, *args, **kwargs)

    return wrapped


@sales_user_required
def lead_queue_view(request: AuthenticatedRequest) -> HttpResponse:
    filterset, rows = lead_queue_list(user=request.user, params=request.GET)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    overdue = lead_overdue_ids(lead_ids=[lead.pk for lead in page], now=timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    # Managers reassign from the list: the choices are read once for every row.
    assignees = list(lead_assignee_list()) if request.user.is_manager else []
    return render(
        request,
        "workspace/queue.html",
        {
            "nav": "queue",
            "filter": filterset,
            "page": page,
            "overdue": overdue,
            "query": query.urlencode(),
            "statuses": LeadStatus.choices,
            "grades": grade_list(),
            "assignees": assignees,
            "rows": owner_rows(page, assignees),
        },
        status=200 if filterset.is_valid() else 400,
    )


def owner_rows(leads: Iterable[Lead], assignees: list[User]) -> list[tuple[Lead, str]]:
    """Each lead of the page with, when its owner may no longer receive a lead, the label of
    that owner, whom its dropdown keeps as the selected choice ('' otherwise): without it the
    lead would show Unassigned, and pressing Assign unchanged would unassign it."""
    allowed = {user.pk for user in assignees}
    return [
        (
            lead,
            owner_choice_label(lead.assigned_to, allowed=False)
            if lead.assigned_to is not None and lead.assigned_to_id not in allowed
            else "",
        )
        for lead in leads
    ]


class Echo:
    """A file that hands back what is written to it, so csv.writer yields rows to stream."""

    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = [
    "id", "first_name", "last_name", "email", "phone", "company", "title", "industry",
    "employee_count", "annual_revenue", "lead_source", "lead_status", "score", "grade",
    "qualified", "assigned_to__username", "created_at",
]  # fmt: skip

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: a leading quote keeps a formula from running."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@sales_user_required
def lead_export_view(request: AuthenticatedRequest) -> HttpResponseBase:
    """The filtered list as CSV, streamed: the rows of every page of the list, any number.

    A filter it cannot honour answers 400 saying why: an empty file would pass for "no leads".
    """
    # A file of leads leaves the CRM with whoever downloads it: that is the managers' call.
    if not request.user.is_manager:
        raise PermissionDenied("Only managers export leads.")
    filterset, rows = lead_queue_list(user=request.user, params=request.GET)
    if not filterset.is_valid():
        problems = "\n".join(
            f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()
        )
        return HttpResponseBadRequest(
            f"No export: these filters are not valid.\n{problems}\n",
            content_type="text/plain; charset=utf-8",
        )
    writer = csv.writer(Echo())
    values = rows.values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000)
    header = [name.replace("assigned_to__username", "owner") for name in EXPORT_COLUMNS]
    response = StreamingHttpResponse(_csv_rows(writer, header, values), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    return response


def _csv_rows(writer: Any, header: list[str], values: Iterable[tuple]) -> Iterator[str]:
    yield writer.writerow(header)
    for row in values:
        yield writer.writerow([csv_cell(value) for value in row])


@sales_user_required
def lead_detail_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    lead = lead_page_get(user=request.user, pk=pk)
    context = {
        "nav": "queue",
        "lead": lead,
        "activities": lead_activity_list(lead=lead)[:TIMELINE_ROWS],
        "tasks": lead_task_open_list(lead=lead),
        "log_form": ActivityLogForm(),
        "status_form": StatusForm(initial={"lead_status": lead.lead_status}),
        "bant_form": BantForm(),
        "assign_form": AssignForm(lead=lead) if request.user.is_manager else None,
        "now": timezone.now(),
        "manual_status": lead.lead_status in (LeadStatus.NEW, LeadStatus.CONTACTED),
    }
    template = "workspace/lead_detail.html#lead" if request.htmx else "workspace/lead_detail.html"
    return render(request, template, context)


def back_to(lead: Lead) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("leads:lead-detail", args=[lead.pk]), status=303)


@require_POST
@sales_user_required
def lead_log_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    lead = lead_page_get(user=request.user, pk=pk)
    form = ActivityLogForm(request.POST)
    if form.is_valid():
        lead_activity_log(lead=lead, by=request.user, **form.cleaned_data)
        messages.success(request, "Logged.")
    else:
        messages.error(request, "Choose what happened.")
    return back_to(lead)


@require_POST
@sales_user_required
def lead_status_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    lead = lead_page_get(user=request.user, pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            lead_update(lead=lead, data=form.cleaned_data, by=request.user)
            messages.success(request, "Status changed.")
        except LeadUpdateError as exc:
            messages.error(request, str(exc))
    return back_to(lead)


@require_POST
@sales_user_required
def lead_qualify_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    lead = lead_page_get(user=request.user, pk=pk)
    form = BantForm(request.POST)
    if form.is_valid():
        try:
            lead = lead_qualify(lead=lead, bant=Bant(**form.cleaned_data), by=request.user)
            messages.success(request, "Qualified." if lead.qualified else "Marked unqualified.")
        except LeadClosed as exc:
            messages.error(request, str(exc))
    return back_to(lead)


@require_POST
@sales_user_required
def lead_assign_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    if not request.user.is_manager:
        raise PermissionDenied("Only managers reassign leads.")
    lead = lead_page_get(user=request.user, pk=pk)
    form = AssignForm(request.POST, lead=lead)
    if form.is_valid():
        to = form.cleaned_data["user"]
        lead_assign(lead=lead, to=to, by=request.user)
        messages.success(request, f"Assigned to {user_label(to)}." if to else "Unassigned.")
    else:
        messages.error(request, f"Not reassigned: {' '.join(map(str, form.errors['user']))}")
    if request.POST.get("next") == "queue":
        return HttpResponseRedirect(reverse("leads:lead-queue"), status=303)
    return back_to(lead)


@require_POST
@sales_user_required
def task_complete_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    task = get_object_or_404(task_visible_to(request.user), pk=pk)
    task_complete(task=task, by=request.user)
    if request.POST.get("next") == "tasks":
        return HttpResponseRedirect(reverse("leads:task-list"), status=303)
    return back_to(task.lead)


TASKS_PER_GROUP = 50


@sales_user_required
def task_list_view(request: AuthenticatedRequest) -> HttpResponse:
    """My tasks: overdue, due today, upcoming; the first of each, and how many there are."""
    # Local time: "due today" ends at the user's midnight, not UTC's.
    now = timezone.localtime()
    groups = task_due_groups(user=request.user, now=now, per_group=TASKS_PER_GROUP)
    template = "workspace/tasks.html#task-groups" if request.htmx else "workspace/tasks.html"
    return render(request, template, {"nav": "tasks", "groups": groups, "now": now})
