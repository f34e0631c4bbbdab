"""Scoring one lead (lead_score, in Python) and rescoring many (leads_rescore, in SQL) leave
every lead the same: score, grade, and when the score qualifies it, the same qualification
(status, qualified_at, timeline entry, discovery call, out of nurturing).

Hypothesis draws rule sets over every operator and field kind, leads with awkward values
(case, empty strings, missing numbers, custom fields of every JSON type), owners, nurturing,
and activity histories inside and outside score windows; it builds the same leads twice, runs
each service on one copy, and compares what the two left in the database.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignment.models import NurtureEnrollment, NurtureSequence
from crm import task_names
from crm.conditions import (
    CUSTOM_PREFIX,
    LEAD_FIELDS,
    NUMBER,
    NUMBER_OPERATORS,
    PRESENCE_OPERATORS,
    TEXT_OPERATORS,
    Condition,
    ConditionError,
)
from crm.models import OutboxMessage
from leads.models import Lead, LeadActivity, LeadStatus, Task
from leads.selectors import lead_nurture_annotate
from scoring.models import Category, ScoringRule, ScoringSettings
from scoring.rules import SCORING_FIELDS
from scoring.services import lead_score, leads_rescore

pytestmark = pytest.mark.django_db

# Text that collides across fields and rules: case, substrings, LIKE wildcards, blanks.
WORDS = [
    "director",
    "VP",
    "vp of sales",
    "C-level",
    "Acme",
    "acme corp",
    "tech",
    "a",
    "_",
    "%",
    "x.edu",
    ".gov",
]
NUMBERS = ["0", "5", "10", "100", "1000", "1000000", "10000000", "2.5", "-1"]
CUSTOM_KEYS = ["plan", "seats"]
ACTIVITY_TYPES = [
    "email_opened",
    "email_clicked",
    "page_viewed",
    "form_submitted",
    "demo_requested",
    "note",
]

text_values = st.sampled_from(["", *WORDS, "Director of VP", "ACME", "Tech Lead", "someone@x.edu"])
custom_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=20000),
    st.sampled_from([0.5, 2.5, 1000.25]),
    st.sampled_from(["", "pro", "PRO plan", "25", "1000", "2.5", "-1", "12abc"]),
)


@st.composite
def conditions(draw):
    field = draw(st.sampled_from(sorted(SCORING_FIELDS) + [CUSTOM_PREFIX + k for k in CUSTOM_KEYS]))
    if field.startswith(CUSTOM_PREFIX):
        operators = TEXT_OPERATORS | NUMBER_OPERATORS | PRESENCE_OPERATORS
    elif LEAD_FIELDS[field] == NUMBER:
        operators = NUMBER_OPERATORS | PRESENCE_OPERATORS
    else:
        operators = TEXT_OPERATORS | PRESENCE_OPERATORS
    operator = draw(st.sampled_from(sorted(operators)))
    if operator in PRESENCE_OPERATORS:
        value = ""
    elif operator == "between":
        low, high = sorted(
            draw(st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2)), key=Decimal
        )
        value = f"{low},{high}"
    elif operator == "in":
        pool = NUMBERS if operator in NUMBER_OPERATORS and _numeric(field, operator) else WORDS
        value = ",".join(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)))
    elif _numeric(field, operator):
        value = draw(st.sampled_from(NUMBERS))
    else:
        value = draw(st.sampled_from(WORDS))
    try:
        Condition.parse(field, operator, value, fields=SCORING_FIELDS)
    except ConditionError:
        value = None
    return field, operator, value


def _numeric(field: str, operator: str) -> bool:
    if field.startswith(CUSTOM_PREFIX):
        return operator in NUMBER_OPERATORS - TEXT_OPERATORS
    return LEAD_FIELDS[field] == NUMBER


@st.composite
def rules(draw):
    drawn = []
    for _ in range(draw(st.integers(min_value=0, max_value=7))):
        points = draw(st.integers(min_value=-30, max_value=45))
        if draw(st.booleans()):
            field, operator, value = draw(conditions())
            if value is None:
                continue
            drawn.append(
                ScoringRule(
                    name="r",
                    category=Category.DEMOGRAPHIC,
                    field=field,
                    operator=operator,
                    value=value,
                    points=points,
                    tier=draw(st.sampled_from(["", "", "size", "money"])),
                )
            )
        else:
            types = draw(
                st.lists(st.sampled_from(ACTIVITY_TYPES), min_size=1, max_size=2, unique=True)
            )
            drawn.append(
                ScoringRule(
                    name="b",
                    category=Category.BEHAVIORAL,
                    field="activity_type",
                    operator="in" if len(types) > 1 else "equals",
                    value=",".join(types),
                    points=points,
                    max_occurrences=draw(st.one_of(st.none(), st.integers(1, 4))),
                    window_days=draw(st.one_of(st.none(), st.integers(1, 60))),
                )
            )
    return drawn


@st.composite
def leads(draw):
    drawn = []
    for i in range(draw(st.integers(min_value=1, max_value=6))):
        lead = Lead(
            email=f"lead{i}@" + draw(st.sampled_from(["acme.com", "x.edu", "city.gov", "vp.io"])),
            first_name=draw(text_values),
            last_name=draw(text_values),
            company=draw(text_values),
            title=draw(text_values),
            industry=draw(st.sampled_from(["", "Technology", "technology", "Finance", "Retail"])),
            lead_source=draw(st.sampled_from(["", "api", "webinar"])),
            employee_count=draw(
                st.one_of(st.none(), st.sampled_from([0, 5, 10, 11, 100, 101, 1000, 5000]))
            ),
            annual_revenue=draw(
                st.one_of(
                    st.none(),
                    st.sampled_from(
                        [
                            Decimal("0"),
                            Decimal("2.5"),
                            Decimal("1000000"),
                            Decimal("1000000.01"),
                            Decimal("25000000"),
                        ]
                    ),
                )
            ),
            lead_status=draw(st.sampled_from(list(LeadStatus))),
            qualified=draw(st.booleans()),
            custom_fields={k: draw(custom_values) for k in CUSTOM_KEYS if draw(st.booleans())},
        )
        ages = draw(
            st.lists(st.tuples(st.sampled_from(ACTIVITY_TYPES), st.integers(0, 90)), max_size=6)
        )
        owned, nurtured = draw(st.booleans()), draw(st.booleans())
        drawn.append((lead, ages, owned, nurtured))
    return drawn


def leads_make(lead_rows, *, owner, sequence, now) -> None:
    """The drawn leads, as they were before any scoring, with their histories."""
    Lead.objects.all().delete()  # and, with them, activities, tasks and enrollments
    OutboxMessage.objects.filter(task=task_names.NURTURE_LEAVE).delete()
    for lead, _, owned, _ in lead_rows:
        lead.assigned_to = owner if owned else None
    Lead.objects.bulk_create([lead for lead, *_ in lead_rows])
    NurtureEnrollment.objects.bulk_create(
        NurtureEnrollment(
            lead=lead,
            sequence=sequence,
            enrolled_at=now,
            next_position=2,
            next_step_at=now + timedelta(days=2),
        )
        for lead, _, _, nurtured in lead_rows
        if nurtured
    )
    LeadActivity.objects.bulk_create(
        LeadActivity(lead=lead, type=kind, created_at=now - timedelta(days=age, hours=1))
        for lead, ages, *_ in lead_rows
        for kind, age in ages
    )


def outcome() -> dict:
    """What scoring left on each lead, its timeline and its tasks, in terms both runs share
    (each run has its own now: times are compared with the lead's qualified_at)."""
    result = {}
    leaving = {
        lead_id
        for message in OutboxMessage.objects.filter(task=task_names.NURTURE_LEAVE)
        for lead_id in message.args[0]
    }
    for lead in lead_nurture_annotate(Lead.objects.order_by("pk")):
        qualified_at = lead.qualified_at
        result[lead.pk] = (
            lead.score,
            lead.grade,
            lead.qualified,
            lead.lead_status,
            qualified_at is not None,
            lead.nurture_sequence,
            lead.nurture_next_step_at is not None,
            str(lead.pk) in leaving,
            sorted(
                (a.type, a.description, a.metadata, a.created_by_id, a.created_at == qualified_at)
                for a in LeadActivity.objects.filter(lead=lead).exclude(type__in=ACTIVITY_TYPES)
            ),
            sorted(
                (t.title, t.priority, t.owner_id, t.due_at - qualified_at, t.completed_at)
                for t in Task.objects.filter(lead=lead)
                if qualified_at is not None
            ),
        )
    return result


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rule_rows=rules(),
    lead_rows=leads(),
    threshold=st.integers(min_value=0, max_value=100),
    chunk_size=st.integers(min_value=1, max_value=7),
)
def test_scoring_one_lead_and_rescoring_all_leave_the_same_leads(
    rep, rule_rows, lead_rows, threshold, chunk_size
):
    ScoringRule.objects.all().delete()
    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": threshold})
    ScoringRule.objects.bulk_create(rule_rows)
    sequence = NurtureSequence.objects.get(name="Not ready yet")
    now = timezone.now()

    leads_make(lead_rows, owner=rep, sequence=sequence, now=now)
    for lead, *_ in lead_rows:
        lead_score(lead_id=lead.pk, now=now)
    one_by_one = outcome()

    leads_make(lead_rows, owner=rep, sequence=sequence, now=now)
    leads_rescore(chunk_size=chunk_size, now=now)
    all_at_once = outcome()

    assert all_at_once == one_by_one, [(r.field, r.operator, r.value, r.tier) for r in rule_rows]
