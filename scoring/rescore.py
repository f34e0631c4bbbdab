"""Rescoring many leads in the database: the rules compiled into one derived table per chunk.

The rule conditions compile through the ORM (so they are the same conditions as the Python
execution, on SQLite and PostgreSQL alike) into a SELECT of each lead's new score and grade;
leads.services.leads_scores_write updates the chunk's leads from it in one statement, with
their qualification, writing only rows whose values change.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import add
from uuid import UUID

from django.db import connection, connections
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Least

from leads.models import Lead, LeadActivity
from leads.services import leads_scores_write

from .engine import activity_filter
from .rules import RuleSet

CHUNK_SIZE = 50_000
# A chunk is the leads with low < id <= high; None is an open end.
Bounds = tuple[UUID | None, UUID | None]


@dataclass(frozen=True)
class RescoreSummary:
    scanned: int
    changed: int
    qualified: int
    seconds: float = 0.0


def attribute_points(rules: RuleSet) -> Combinable:
    """Points from the lead's own fields, as one SQL expression."""
    parts = [
        Case(When(rule.condition.q(), then=Value(rule.points)), default=Value(0))
        for rule in rules.rules
    ]
    parts += [
        Case(
            *(When(rule.condition.q(), then=Value(rule.points)) for rule in tier),
            default=Value(0),
        )
        for tier in rules.tiers
    ]
    return reduce(add, parts, Value(0)) if parts else Value(0)


def activity_points(rules: RuleSet, now: datetime) -> Combinable:
    """Points from the lead's activities, as one aggregate over them."""
    parts = []
    for rule in rules.activity_rules:
        count: Combinable = Count("pk", filter=activity_filter(rule, now))
        if rule.max_occurrences is not None:
            count = Least(count, Value(rule.max_occurrences))
        parts.append(count * Value(rule.points))
    return reduce(add, parts)


def chunk_rescore(
    rules: RuleSet,
    *,
    now: datetime,
    low: UUID | None = None,
    high: UUID | None = None,
    since: datetime | None = None,
) -> tuple[int, int]:
    """Rescore the leads with low < id <= high (open ends when None), qualifying those whose
    score reaches the threshold as leads.services qualifies any lead; return how many rows
    changed and how many of them were qualified."""
    bounds = Q()
    if low is not None:
        bounds &= Q(id__gt=low)
    if high is not None:
        bounds &= Q(id__lte=high)
    leads = Lead.objects.filter(bounds)
    if since is not None:
        leads = leads.filter(
            Q(updated_at__gte=since)
            | Exists(LeadActivity.objects.filter(lead=OuterRef("pk"), created_at__gte=since))
        )
    a_sql, a_params = (
        leads.order_by()
        .annotate(attr=attribute_points(rules))
        .values("id", "attr")
        .query.sql_with_params()
    )
    # On PostgreSQL, OFFSET 0 keeps a derived table from being merged into the statement around
    # it: the planner would otherwise copy each column's expression into every place that reads
    # the column, and the text matching of the rules would run dozens of times a row (the score
    # appears in the clamp, in every grade band, and in the qualification tests).
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    source, source_params = f"({a_sql}{fence}) a", list(a_params)
    behaviour = "0"
    if rules.activity_rules:
        types = sorted({t for rule in rules.activity_rules for t in rule.types})
        activity_bounds = Q(type__in=types)
        if low is not None:
            activity_bounds &= Q(lead_id__gt=low)
        if high is not None:
            activity_bounds &= Q(lead_id__lte=high)
        b_sql, b_params = (
            LeadActivity.objects.filter(activity_bounds)
            .order_by()
            .values("lead_id")
            .annotate(pts=activity_points(rules, now))
            .values("lead_id", "pts")
            .query.sql_with_params()
        )
        source += f" LEFT JOIN ({b_sql}) b ON b.lead_id = a.id"
        source_params += b_params
        behaviour = "COALESCE(b.pts, 0)"

    raw = f"(a.attr + {behaviour})"
    scores = (
        f"SELECT a.id AS id, CASE WHEN {raw} < 0 THEN 0 WHEN {raw} > 100 THEN 100 "
        f"ELSE {raw} END AS new_score FROM {source}{fence}"
    )
    grade = "''"
    grade_params: list[object] = []
    if rules.bands:
        grade = (
            "CASE "
            + " ".join("WHEN c.new_score >= %s THEN %s" for _ in rules.bands)
            + " ELSE '' END"
        )
        for min_score, band in rules.bands:
            grade_params += [min_score, band]
    written = leads_scores_write(
        scores_sql=(
            f"SELECT c.id AS id, c.new_score AS new_score, {grade} AS new_grade FROM ({scores}) c"
        ),
        scores_params=[*grade_params, *source_params],
        low=low,
        high=high,
        threshold=rules.qualify_threshold,
        now=now,
    )
    return written.changed, written.qualified


def chunk_bounds(size: int) -> Iterator[Bounds]:
    """Yield (low, high) id bounds of consecutive chunks of about `size` leads.

    Lead ids are time-ordered, so a chunk holds leads that arrived together and sit on
    neighbouring pages; each chunk then reads and writes its own part of the table, not a
    little of every page (as it does for leads whose ids are random, from before version 7).
    """
    low = None
    while True:
        ids = Lead.objects.order_by("id")
        if low is not None:
            ids = ids.filter(id__gt=low)
        high = ids.values_list("id", flat=True)[size - 1 : size].first()
        yield low, high
        if high is None:
            return
        low = high


def leads_rescore_sql(
    rules: RuleSet,
    *,
    now: datetime,
    since: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreSummary:
    """Rescore in chunks, `workers` of them at a time on connections of their own.

    Chunks touch disjoint leads, so they can run side by side: a chunk's cost is writing its
    rows and their index entries, which is CPU-bound in one PostgreSQL backend, so a second
    backend on a second core nearly halves the time. Inside a transaction the chunks run on
    its connection one after another, as they must to see its uncommitted rows.
    """
    leads = Lead.objects.all()
    if since is not None:
        leads = leads.filter(
            Q(updated_at__gte=since)
            | Exists(LeadActivity.objects.filter(lead=OuterRef("pk"), created_at__gte=since))
        )
    scanned = leads.count()
    total = Lead.objects.count()

    def rescore(bounds: Bounds) -> tuple[int, int]:
        return chunk_rescore(rules, now=now, low=bounds[0], high=bounds[1], since=since)

    if connection.in_atomic_block or connection.vendor == "sqlite":
        workers = 1
    changed = qualified = done = 0
    for rows, newly_qualified in chunks_run(rescore, chunk_bounds(chunk_size), workers):
        changed += rows
        qualified += newly_qualified
        done = min(done + chunk_size, total)
        if progress:
            progress(done, total)
    return RescoreSummary(scanned=scanned, changed=changed, qualified=qualified)


def chunks_run(
    rescore: Callable[[Bounds], tuple[int, int]], chunks: Iterable[Bounds], workers: int
) -> Iterator[tuple[int, int]]:
    """Yield rescore(chunk) for each chunk, in order, running up to `workers` at once."""
    if workers <= 1:
        yield from map(rescore, chunks)
        return

    def run(bounds: Bounds) -> tuple[int, int]:
        try:
            return rescore(bounds)
        finally:
            # Each thread has its own connection; a Celery worker lives for days.
            connections.close_all()

    # Chunks are handed out as workers free up, one ahead, not all at once as Executor.map
    # does: after a failure nothing more starts, and the chunks run are the ones in hand.
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rescore")
    in_hand: deque[Future] = deque()
    try:
        for bounds in chunks:
            in_hand.append(pool.submit(run, bounds))
            if len(in_hand) > workers:
                yield in_hand.popleft().result()
        while in_hand:
            yield in_hand.popleft().result()
    finally:
        # On a time limit or an error, chunks not yet started are dropped; those running finish
        # and commit (each is a whole rescore of its leads), and a later run redoes nothing.
        pool.shutdown(wait=True, cancel_futures=True)
