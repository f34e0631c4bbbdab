"""Scoring rules compiled once into a RuleSet that both executions (Python and SQL) read."""

import logging
from dataclasses import dataclass
from itertools import groupby

from crm.conditions import LEAD_FIELDS, Condition, ConditionError
from leads.models import ActivityType

from .models import ACTIVITY_FIELD, Category, GradeBand, ScoringRule, ScoringSettings

logger = logging.getLogger(__name__)

# A score cannot depend on itself.
SCORING_FIELDS = frozenset(LEAD_FIELDS) - {"score", "grade"}


@dataclass(frozen=True)
class AttributeRule:
    id: str
    name: str
    category: str
    points: int
    condition: Condition


@dataclass(frozen=True)
class ActivityRule:
    id: str
    name: str
    points: int
    types: tuple[str, ...]
    max_occurrences: int | None
    window_days: int | None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[AttributeRule, ...]
    # Each tier's rules, most points first: the first that matches is the one that counts.
    tiers: tuple[tuple[AttributeRule, ...], ...]
    activity_rules: tuple[ActivityRule, ...]
    # (min_score, grade), highest first.
    bands: tuple[tuple[int, str], ...]
    qualify_threshold: int

    @classmethod
    def load(cls) -> "RuleSet":
        """The active rules, grade bands and threshold. Rules that fail to compile are skipped
        (and logged), so no saved row can make scoring crash."""
        attribute: list[tuple[str, AttributeRule]] = []
        activity: list[ActivityRule] = []
        for rule in ScoringRule.objects.filter(active=True).order_by("tier", "-points", "id"):
            try:
                compiled = rule_compile(rule)
            except ConditionError as exc:
                logger.warning("Skipping scoring rule %s (%s): %s", rule.pk, rule.name, exc)
                continue
            if isinstance(compiled, ActivityRule):
                activity.append(compiled)
            else:
                attribute.append((rule.tier.strip(), compiled))
        untiered = tuple(rule for tier, rule in attribute if not tier)
        tiers = tuple(
            tuple(rule for _, rule in group)
            for tier, group in groupby((pair for pair in attribute if pair[0]), key=lambda p: p[0])
        )
        bands = tuple(GradeBand.objects.order_by("-min_score").values_list("min_score", "grade"))
        return cls(
            rules=untiered,
            tiers=tiers,
            activity_rules=tuple(activity),
            bands=bands,
            qualify_threshold=ScoringSettings.load().qualify_threshold,
        )


def rule_compile(rule: ScoringRule) -> AttributeRule | ActivityRule:
    """Check a rule as a manager wrote it; raise ConditionError naming the part at fault."""
    if rule.category == Category.BEHAVIORAL:
        return _activity_rule(rule)
    if rule.field == ACTIVITY_FIELD:
        raise ConditionError("category", "Rules on activity_type are behavioral.")
    if rule.max_occurrences or rule.window_days:
        raise ConditionError(
            "max_occurrences" if rule.max_occurrences else "window_days",
            "Only behavioral rules count activities.",
        )
    condition = Condition.parse(rule.field, rule.operator, rule.value, fields=SCORING_FIELDS)
    return AttributeRule(
        id=str(rule.pk),
        name=rule.name,
        category=rule.category,
        points=rule.points,
        condition=condition,
    )


def _activity_rule(rule: ScoringRule) -> ActivityRule:
    if rule.field != ACTIVITY_FIELD:
        raise ConditionError(
            "field", f"Behavioral rules count activities: use field '{ACTIVITY_FIELD}'."
        )
    if rule.operator not in ("equals", "in"):
        raise ConditionError("operator", "Behavioral rules take 'equals' or 'in' activity types.")
    if rule.tier:
        raise ConditionError("tier", "Tiers are for demographic and firmographic rules.")
    types = tuple(dict.fromkeys(t.strip() for t in (rule.value or "").split(",") if t.strip()))
    if not types or (rule.operator == "equals" and len(types) != 1):
        raise ConditionError("value", "Name the activity type (or types, for 'in').")
    unknown = [t for t in types if t not in ActivityType.values]
    if unknown:
        raise ConditionError(
            "value",
            f"Unknown activity type {', '.join(unknown)}; use one of {', '.join(ActivityType.values)}.",
        )
    return ActivityRule(
        id=str(rule.pk),
        name=rule.name,
        points=rule.points,
        types=types,
        max_occurrences=rule.max_occurrences,
        window_days=rule.window_days,
    )
