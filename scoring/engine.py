"""Scoring one lead in Python. scoring/rescore.py computes the same in SQL for many leads;
the two must agree for every lead (tests/scoring/test_engines_agree.py)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Count, Q

from leads.models import Lead, LeadActivity

from .rules import ActivityRule, RuleSet

MIN_SCORE, MAX_SCORE = 0, 100


@dataclass(frozen=True)
class ScoreLine:
    rule_id: str
    name: str
    category: str
    points: int
    count: int | None = None


@dataclass(frozen=True)
class LeadScore:
    raw: int
    score: int
    grade: str
    lines: tuple[ScoreLine, ...] = field(default_factory=tuple)


def activity_window_start(rule: ActivityRule, now: datetime) -> datetime | None:
    return now - timedelta(days=rule.window_days) if rule.window_days else None


def activity_filter(rule: ActivityRule, now: datetime, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}type__in": rule.types})
    start = activity_window_start(rule, now)
    if start is not None:
        q &= Q(**{f"{prefix}created_at__gte": start})
    return q


def activity_counts(lead_id: UUID, rules: RuleSet, now: datetime) -> dict[str, int]:
    """How many of the lead's activities each behavioral rule counts: one query."""
    if not rules.activity_rules:
        return {}
    aggregates = {
        f"r{index}": Count("pk", filter=activity_filter(rule, now))
        for index, rule in enumerate(rules.activity_rules)
    }
    counts = LeadActivity.objects.filter(lead_id=lead_id).aggregate(**aggregates)
    return {rule.id: counts[f"r{index}"] for index, rule in enumerate(rules.activity_rules)}


def lead_score_compute(lead: Lead, counts: dict[str, int], rules: RuleSet) -> LeadScore:
    lines: list[ScoreLine] = []
    for rule in rules.rules:
        if rule.condition.matches(lead):
            lines.append(ScoreLine(rule.id, rule.name, rule.category, rule.points))
    for tier in rules.tiers:
        for rule in tier:
            if rule.condition.matches(lead):
                lines.append(ScoreLine(rule.id, rule.name, rule.category, rule.points))
                break
    for activity_rule in rules.activity_rules:
        count = counts.get(activity_rule.id, 0)
        if activity_rule.max_occurrences is not None:
            count = min(count, activity_rule.max_occurrences)
        if count:
            lines.append(
                ScoreLine(
                    activity_rule.id,
                    activity_rule.name,
                    "behavioral",
                    count * activity_rule.points,
                    count,
                )
            )
    raw = sum(line.points for line in lines)
    score = max(MIN_SCORE, min(MAX_SCORE, raw))
    return LeadScore(raw=raw, score=score, grade=grade_for(score, rules), lines=tuple(lines))


def grade_for(score: int, rules: RuleSet) -> str:
    for min_score, grade in rules.bands:
        if score >= min_score:
            return grade
    return ""
