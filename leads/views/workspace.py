"""The reps' workspace: their queue, a lead with everything to act on it, their tasks.

Every action posts, then redirects to the lead (PRG); htmx follows the redirect and swaps in
just the lead's partial, so the page never reloads and works without JavaScript too.
"""

import csv
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseBadRequest, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import ActivityLogForm, AssignForm, BantForm, StatusForm
from ..models import Lead, LeadStatus, Task
from ..selectors import (
    grade_list,
    lead_activity_list,
    lead_queue_list,
    lead_visible_to,
    task_open_list,
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


def sales_user_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_rep or request.user.is_manager):
            raise PermissionDenied("Only sales reps and managers work leads.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@sales_user_required
def lead_queue(request):
    filterset, rows = lead_queue_list(user=request.user, params=request.GET)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Overdue follow-ups of this page's leads only: one indexed query, not a subquery per row.
    overdue = set(
        Task.objects.filter(
            lead_id__in=[lead.pk for lead in page],
            completed_at__isnull=True,
            due_at__lt=timezone.now(),
        ).values_list("lead_id", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
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
            "assign_form": AssignForm() if request.user.is_manager else None,
        },
        status=200 if filterset.is_valid() else 400,
    )


class Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "id", "first_name", "last_name", "email", "phone", "company", "title", "industry",
    "employee_count", "annual_revenue", "lead_source", "lead_status", "score", "grade",
    "qualified", "assigned_to__username", "created_at",
]  # fmt: skip

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A cell a spreadsheet shows as text: a leading quote keeps a formula from running."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@sales_user_required
def lead_export(request):
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


def _csv_rows(writer, header, values):
    yield writer.writerow(header)
    for row in values:
        yield writer.writerow([csv_cell(value) for value in row])


def lead_for(request, pk) -> Lead:
    return get_object_or_404(
        lead_visible_to(request.user).select_related("assigned_to", "contact", "nurture_sequence"),
        pk=pk,
    )


@sales_user_required
def lead_detail(request, pk):
    lead = lead_for(request, pk)
    context = {
        "nav": "queue",
        "lead": lead,
        "activities": lead_activity_list(lead=lead)[:TIMELINE_ROWS],
        "tasks": Task.objects.filter(lead=lead, completed_at__isnull=True)
        .select_related("owner")
        .order_by("due_at"),
        "log_form": ActivityLogForm(),
        "status_form": StatusForm(initial={"lead_status": lead.lead_status}),
        "bant_form": BantForm(),
        "assign_form": AssignForm(initial={"user": lead.assigned_to_id})
        if request.user.is_manager
        else None,
        "now": timezone.now(),
        "manual_status": lead.lead_status in (LeadStatus.NEW, LeadStatus.CONTACTED),
    }
    template = "workspace/lead_detail.html#lead" if request.htmx else "workspace/lead_detail.html"
    return render(request, template, context)


def back_to(lead: Lead) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("lead-page", args=[lead.pk]), status=303)


@require_POST
@sales_user_required
def lead_log(request, pk):
    lead = lead_for(request, pk)
    form = ActivityLogForm(request.POST)
    if form.is_valid():
        lead_activity_log(lead=lead, by=request.user, **form.cleaned_data)
        messages.success(request, "Logged.")
    else:
        messages.error(request, "Choose what happened.")
    return back_to(lead)


@require_POST
@sales_user_required
def lead_status(request, pk):
    lead = lead_for(request, pk)
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
def lead_qualify_view(request, pk):
    lead = lead_for(request, pk)
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
def lead_assign_view(request, pk):
    if not request.user.is_manager:
        raise PermissionDenied("Only managers reassign leads.")
    lead = lead_for(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        to = form.cleaned_data["user"]
        lead_assign(lead=lead, to=to, by=request.user)
        messages.success(request, f"Assigned to {user_label(to)}." if to else "Unassigned.")
    else:
        messages.error(request, f"Not reassigned: {' '.join(form.errors['user'])}")
    if request.POST.get("next") == "queue":
        return HttpResponseRedirect(reverse("queue"), status=303)
    return back_to(lead)


@require_POST
@sales_user_required
def task_complete_view(request, pk):
    task = get_object_or_404(task_visible_to(request.user), pk=pk)
    task_complete(task=task, by=request.user)
    if request.POST.get("next") == "tasks":
        return HttpResponseRedirect(reverse("tasks"), status=303)
    return back_to(task.lead)


TASKS_PER_GROUP = 50


@sales_user_required
def task_list(request):
    """My tasks: overdue, due today, upcoming; the first of each, and how many there are."""
    now = timezone.localtime()
    end_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    mine = task_open_list(user=request.user)
    windows = [
        ("Overdue", {"due_at__lt": now}),
        ("Due today", {"due_at__gte": now, "due_at__lt": end_of_today}),
        ("Upcoming", {"due_at__gte": end_of_today}),
    ]
    counts = mine.aggregate(
        **{f"n{i}": Count("pk", filter=Q(**window)) for i, (_, window) in enumerate(windows)}
    )
    groups = [
        (
            title,
            list(
                mine.filter(**window)
                .select_related("lead")
                .order_by("due_at", "pk")[:TASKS_PER_GROUP]
            ),
            counts[f"n{i}"],
        )
        for i, (title, window) in enumerate(windows)
    ]
    template = "workspace/tasks.html#task-groups" if request.htmx else "workspace/tasks.html"
    return render(request, template, {"nav": "tasks", "groups": groups, "now": now})
