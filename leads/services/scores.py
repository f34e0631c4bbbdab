"""Writes of the score and grade that scoring computes: for one lead, and for a chunk of leads
in one UPDATE. A score that reaches the threshold qualifies a lead still in play, in the same
transaction and as any qualification does (qualification.leads_qualify_by_score).

Scoring owns the rules and compiles them into the scores; which rows change, which leads
qualify and what that owes are decided here, once for both paths.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Field

from ..models import Lead, LeadStatus
from .qualification import leads_qualify_by_score, qualified_fields

# Scoring may qualify only leads still in play; it never overrides a rep's verdict or a sale.
SCORE_QUALIFIABLE_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


@dataclass(frozen=True)
class ScoresWritten:
    changed: int  # leads whose score, grade or qualification changed
    qualified: int  # of those, the leads their new score qualified


def lead_qualifies_by_score(lead: Lead, score: int, threshold: int) -> bool:
    """Whether this score newly qualifies the lead. A score never un-qualifies."""
    return (
        not lead.qualified and lead.lead_status in SCORE_QUALIFIABLE_STATUSES and score >= threshold
    )


def lead_score_write(*, lead: Lead, score: int, grade: str, threshold: int, now: datetime) -> bool:
    """Write the lead's new score and grade, only what changed, and qualify it if the score
    newly reaches the threshold. `lead` is as read under its row lock in the caller's
    transaction. Returns whether the score qualified it."""
    changes: dict[str, object] = {}
    if lead.score != score:
        changes["score"] = score
    if lead.grade != grade:
        changes["grade"] = grade
    qualified = lead_qualifies_by_score(lead, score, threshold)
    if qualified:
        changes.update(qualified_fields(now))
    # No savepoint: the caller's transaction holds the lock, and a savepoint's two statements
    # would come with every capture and activity, each of which scores its lead.
    with transaction.atomic(savepoint=False):
        if changes:
            Lead.objects.filter(pk=lead.pk).update(**changes)
        if qualified:
            leads_qualify_by_score(
                scored=[(lead.pk, lead.assigned_to_id, score)], threshold=threshold, now=now
            )
    return qualified


def leads_scores_write(
    *,
    scores_sql: str,
    scores_params: Sequence[object],
    low: UUID | None,
    high: UUID | None,
    threshold: int,
    now: datetime,
) -> ScoresWritten:
    """Write the scores of the leads with low < id <= high (an open end when None), in one
    UPDATE, and qualify those whose new score newly reaches the threshold.

    `scores_sql` is a SELECT of rows (id, new_score, new_grade), at most one per lead of the
    range, with its `scores_params`; a lead without a row keeps its score. Only rows whose
    values change are written. Returns how many changed, and how many of them qualified.
    """
    table = Lead._meta.db_table
    pk = Lead._meta.pk
    assert pk is not None
    # The range again on the updated table: the derived table holds only the range's ids, but
    # the planner cannot carry a range across the join, and would read the whole table.
    target_bounds, target_params = "", []
    if low is not None:
        target_bounds += f" AND {table}.{pk.column} > %s"
        target_params.append(pk.get_db_prep_value(low, connection))
    if high is not None:
        target_bounds += f" AND {table}.{pk.column} <= %s"
        target_params.append(pk.get_db_prep_value(high, connection))
    statuses = ", ".join("%s" for _ in SCORE_QUALIFIABLE_STATUSES)
    qualify = (
        f"(NOT {table}.qualified AND {table}.lead_status IN ({statuses}) AND d.new_score >= %s)"
    )
    qualify_params: list[object] = [*(str(s) for s in SCORE_QUALIFIABLE_STATUSES), threshold]
    sets, set_params = ["score = d.new_score", "grade = d.new_grade"], []
    for name, value in qualified_fields(now).items():
        field = Lead._meta.get_field(name)
        assert isinstance(field, Field)
        column = f"{table}.{field.column}"
        sets.append(f"{field.column} = CASE WHEN {qualify} THEN %s ELSE {column} END")
        set_params += [*qualify_params, field.get_db_prep_save(db_value(value), connection)]
    now_param = connection.ops.adapt_datetimefield_value(now)
    # RETURNING may name only the updated table's columns (SQLite): a row this statement
    # qualified is one whose qualified_at is now this run's.
    update = (
        f"UPDATE {table} SET {', '.join(sets)} "
        f"FROM ({scores_sql}) d WHERE {table}.id = d.id{target_bounds} AND "
        f"({table}.score <> d.new_score OR {table}.grade <> d.new_grade OR {qualify}) "
        f"RETURNING {table}.id, {table}.assigned_to_id, {table}.score, "
        f"{table}.qualified_at = %s AS newly"
    )
    params = [*set_params, *scores_params, *target_params, *qualify_params, now_param]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The count, and only the qualified rows: returning all 50,000 changed rows of a
            # chunk to Python made a first rescore of a million leads a sixth slower.
            cursor.execute(
                f"WITH u AS ({update}) SELECT (SELECT count(*) FROM u), u.id, u.assigned_to_id,"
                " u.score FROM u WHERE u.newly UNION ALL SELECT (SELECT count(*) FROM u),"
                " NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.newly)",
                params,
            )
            rows = cursor.fetchall()
            changed = rows[0][0]
            scored = [(id, owner, score) for _, id, owner, score in rows if id is not None]
        else:
            cursor.execute(update, params)
            rows = cursor.fetchall()
            changed = len(rows)
            scored = [(pk.to_python(id), owner, score) for id, owner, score, new in rows if new]
        # In the same transaction: a lead is never qualified without what that owes.
        qualified = leads_qualify_by_score(scored=scored, threshold=threshold, now=now)
    return ScoresWritten(changed=changed, qualified=qualified)


def db_value(value: object) -> object:
    """A choice as the plain value stored, not an enum member for the driver to adapt."""
    return value.value if isinstance(value, Enum) else value
