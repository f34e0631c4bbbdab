"""Reads of conversion: customers, scoped to who may see them (managers all, reps what is
theirs), and the funnel and dashboard figures managers read.

Funnel counts and rates are SQL, and so are medians on PostgreSQL. SQLite has no percentile
function, so there the durations are fetched and the median taken in Python; the development
database is small.
"""

import statistics
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from uuid import UUID

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.shortcuts import get_object_or_404

from crm.models import User
from crm.selectors import lead_assignee_list
from leads.models import Lead, LeadStatus
from leads.selectors import lead_open_q

from .models import Company, Contact, Deal

if TYPE_CHECKING:
    # Only django-stubs defines it: what as_sql returns, the SQL and its parameters.
    from django.db.models.sql.compiler import _AsSqlType

    # A development dependency (it comes with django-stubs): the annotation is read only by mypy.
    from django_stubs_ext import WithAnnotations

Customer = TypeVar("Customer", Company, Contact, Deal)

# --- Customers ------------------------------------------------------------------------------


def contact_visible_to(user: User) -> QuerySet[Contact]:
    """A rep sees the contacts they own, and those their leads converted into or their deals
    are with: conversion reuses a contact by email, whoever owns it."""
    contacts = Contact.objects.all()
    if not user.is_rep or user.is_manager:
        return _owned(contacts, user)
    return contacts.filter(
        Q(owner=user)
        | Exists(Lead.objects.filter(contact=OuterRef("pk"), assigned_to=user))
        | Exists(Deal.objects.filter(contact=OuterRef("pk"), owner=user))
    )


def deal_visible_to(user: User) -> QuerySet[Deal]:
    return _owned(Deal.objects.all(), user)


def company_visible_to(user: User) -> QuerySet[Company]:
    """A rep sees the companies they own, and those holding a contact or deal of theirs.

    Conversions reuse a company by name or domain, so a rep's contact and deal may point at
    a company another rep created first; hiding it would leave them links they cannot open.
    """
    companies = Company.objects.all()
    if not user.is_rep or user.is_manager:
        return _owned(companies, user)
    return companies.filter(
        Q(owner=user)
        | Exists(Contact.objects.filter(company=OuterRef("pk"), owner=user))
        | Exists(Deal.objects.filter(company=OuterRef("pk"), owner=user))
    )


def _owned(records: QuerySet[Customer], user: User) -> QuerySet[Customer]:
    if user.is_manager:
        return records
    if user.is_rep:
        return records.filter(owner=user)
    return records.none()


def contact_page_get(*, user: User, pk: UUID) -> Contact:
    """The contact with its company and owner, if the user may see it. Http404 otherwise:
    another rep's contact must look exactly like one that does not exist."""
    return get_object_or_404(contact_visible_to(user).select_related("company", "owner"), pk=pk)


def contact_deal_list(*, user: User, contact: Contact) -> QuerySet[Deal]:
    """The contact's deals the user may see, newest first. A contact with an email another
    rep's lead also had carries that rep's deals too; each rep sees only their own."""
    deals = deal_visible_to(user).filter(contact=contact)
    return deals.select_related("company").order_by("-created_at")


# --- The funnel -----------------------------------------------------------------------------


class SecondsBetween(Func):
    """end - start in seconds, as a float."""

    arity = 2
    output_field = FloatField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> "_AsSqlType":
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> "_AsSqlType":
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Median(Aggregate):
    """percentile_cont(0.5), the median (PostgreSQL)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class SourceFigures(TypedDict):
    source: str
    leads: int
    converted: int
    conversion_rate: float


class RepResponse(TypedDict):
    rep: str | None
    median_hours: float | None


class FunnelMetrics(TypedDict):
    leads: int
    leads_per_status: dict[str, int]
    sources: list[SourceFigures]
    median_hours_to_qualified: float | None
    median_hours_to_converted: float | None
    median_first_response_hours_per_rep: list[RepResponse]


def funnel_leads(
    *, since: datetime | None, until: datetime | None, source: str | None
) -> QuerySet[Lead]:
    """The leads captured in [since, until), of one source if given, unordered for grouping."""
    leads = Lead.objects.all()
    if since:
        leads = leads.filter(created_at__gte=since)
    if until:
        leads = leads.filter(created_at__lt=until)
    if source:
        leads = leads.filter(lead_source=source)
    return leads.order_by()


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _median_seconds(
    leads: QuerySet[Lead], end: str, group: str | None = None
) -> dict[Any, float | None]:
    """Median of (end - created_at) or (end - assigned_at), overall or per group value."""
    start = "assigned_at" if end == "first_response_at" else "created_at"
    span = SecondsBetween(F(end), F(start))
    rows = leads.filter(**{f"{end}__isnull": False, f"{start}__isnull": False})
    if connection.vendor == "postgresql":
        if group:
            return {row[group]: row["m"] for row in rows.values(group).annotate(m=Median(span))}
        return {None: rows.aggregate(m=Median(span))["m"]}
    by_group: dict[Any, list[float]] = {}
    for key, seconds in rows.annotate(span=span).values_list(group or "pk", "span"):
        by_group.setdefault(key if group else None, []).append(seconds)
    return {key: statistics.median(values) for key, values in by_group.items()}


def funnel_metrics(
    *, since: datetime | None = None, until: datetime | None = None, source: str | None = None
) -> FunnelMetrics:
    leads = funnel_leads(since=since, until=until, source=source)
    per_status = dict(leads.values_list("lead_status").annotate(n=Count("pk")))
    sources = [
        SourceFigures(
            source=row["lead_source"],
            leads=row["total"],
            converted=row["converted"],
            conversion_rate=round(row["converted"] / row["total"], 4) if row["total"] else 0.0,
        )
        for row in leads.values("lead_source")
        .annotate(total=Count("pk"), converted=Count("pk", filter=Q(converted=True)))
        .order_by("-total", "lead_source")
    ]
    per_rep = _median_seconds(leads, "first_response_at", group="assigned_to__username")
    return FunnelMetrics(
        leads=sum(per_status.values()),
        leads_per_status={status: per_status.get(status, 0) for status in LeadStatus.values},
        sources=sources,
        median_hours_to_qualified=_hours(_median_seconds(leads, "qualified_at").get(None)),
        median_hours_to_converted=_hours(_median_seconds(leads, "converted_at").get(None)),
        median_first_response_hours_per_rep=[
            RepResponse(rep=rep, median_hours=_hours(seconds))
            for rep, seconds in sorted(per_rep.items())
        ],
    )


# --- The dashboard beside the funnel --------------------------------------------------------


def funnel_score_bands(
    *, since: datetime, until: datetime, bands: list[tuple[int, int]]
) -> list[int]:
    """How many of the funnel's leads score within each (low, high) band, both ends included:
    one query for all the bands."""
    counts = funnel_leads(since=since, until=until, source=None).aggregate(
        **{
            f"b{i}": Count("pk", filter=Q(score__gte=low, score__lte=high))
            for i, (low, high) in enumerate(bands)
        }
    )
    return [counts[f"b{i}"] for i in range(len(bands))]


class RepWorkload(TypedDict):
    open_leads: int


def rep_workload_list() -> "QuerySet[WithAnnotations[User, RepWorkload]]":
    """The active reps by username, each with `open_leads`: how many open leads they own."""
    reps = lead_assignee_list()
    open_leads = Count("leads", filter=lead_open_q("leads__"))
    return reps.annotate(open_leads=open_leads).order_by("username")
