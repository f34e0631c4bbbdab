"""The funnel as managers read it: counts and rates in SQL, medians in SQL on PostgreSQL.

SQLite has no percentile function, so there the durations are fetched and the median taken
in Python; the development database is small.
"""

import statistics
from datetime import datetime

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet

from leads.models import Lead, LeadStatus


class SecondsBetween(Func):
    """end - start in seconds, as a float."""

    arity = 2
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
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


def funnel_leads(
    *, since: datetime | None, until: datetime | None, source: str | None
) -> QuerySet[Lead]:
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


def _median_seconds(leads: QuerySet[Lead], end: str, group: str | None = None) -> dict:
    """Median of (end - created_at) or (end - assigned_at), overall or per group value."""
    start = "assigned_at" if end == "first_response_at" else "created_at"
    span = SecondsBetween(F(end), F(start))
    rows = leads.filter(**{f"{end}__isnull": False, f"{start}__isnull": False})
    if connection.vendor == "postgresql":
        if group:
            return {row[group]: row["m"] for row in rows.values(group).annotate(m=Median(span))}
        return {None: rows.aggregate(m=Median(span))["m"]}
    by_group: dict = {}
    for key, seconds in rows.annotate(span=span).values_list(group or "pk", "span"):
        by_group.setdefault(key if group else None, []).append(seconds)
    return {key: statistics.median(values) for key, values in by_group.items()}


def funnel_metrics(*, since=None, until=None, source=None) -> dict:
    leads = funnel_leads(since=since, until=until, source=source)
    per_status = dict(leads.values_list("lead_status").annotate(n=Count("pk")))
    sources = [
        {
            "source": row["lead_source"],
            "leads": row["total"],
            "converted": row["converted"],
            "conversion_rate": round(row["converted"] / row["total"], 4) if row["total"] else 0.0,
        }
        for row in leads.values("lead_source")
        .annotate(total=Count("pk"), converted=Count("pk", filter=Q(converted=True)))
        .order_by("-total", "lead_source")
    ]
    per_rep = _median_seconds(leads, "first_response_at", group="assigned_to__username")
    return {
        "leads": sum(per_status.values()),
        "leads_per_status": {status: per_status.get(status, 0) for status in LeadStatus.values},
        "sources": sources,
        "median_hours_to_qualified": _hours(_median_seconds(leads, "qualified_at").get(None)),
        "median_hours_to_converted": _hours(_median_seconds(leads, "converted_at").get(None)),
        "median_first_response_hours_per_rep": [
            {"rep": rep, "median_hours": _hours(seconds)}
            for rep, seconds in sorted(per_rep.items())
        ],
    }
