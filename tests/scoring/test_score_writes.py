"""Scoring computes scores; leads writes them (leads.services.scores), for one lead and for a
chunk of leads in one statement."""

import re
from pathlib import Path
from uuid import UUID

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import scoring
from leads.models import Lead, LeadActivity, LeadStatus, Task
from leads.services import lead_score_write, leads_scores_write

from ..factories import LeadFactory

pytestmark = pytest.mark.django_db

THRESHOLD = 80


def scores_table(rows: list[tuple[UUID, int, str]]) -> tuple[str, list[object]]:
    """A derived table of (id, new_score, new_grade) rows, as scoring compiles its rules."""
    pk = Lead._meta.pk
    assert pk is not None
    sql = " UNION ALL ".join("SELECT %s AS id, %s AS new_score, %s AS new_grade" for _ in rows)
    params: list[object] = []
    for id, score, grade in rows:
        params += [pk.get_db_prep_value(id, connection), score, grade]
    return sql, params


def test_a_chunk_write_changes_only_what_changes_and_only_its_range_of_leads():
    same = LeadFactory(score=10, grade="F")
    rises = LeadFactory(score=0, grade="")
    qualifies = LeadFactory(score=0, grade="", lead_status=LeadStatus.CONTACTED)
    settled = LeadFactory(score=0, grade="", lead_status=LeadStatus.UNQUALIFIED)
    beyond = LeadFactory(score=0, grade="")  # after the range's end
    now = timezone.now()
    sql, params = scores_table(
        [
            (same.pk, 10, "F"),
            (rises.pk, 50, "D"),
            (qualifies.pk, 90, "A+"),
            (settled.pk, 95, "A+"),
            (beyond.pk, 70, "B"),
        ]
    )

    written = leads_scores_write(
        scores_sql=sql, scores_params=params, low=None, high=settled.pk, threshold=80, now=now
    )

    assert (written.changed, written.qualified) == (3, 1)
    leads = {lead.pk: lead for lead in Lead.objects.all()}
    assert [(leads[lead.pk].score, leads[lead.pk].grade) for lead in (same, rises, beyond)] == [
        (10, "F"),
        (50, "D"),
        (0, ""),
    ]
    assert leads[qualifies.pk].lead_status == LeadStatus.QUALIFIED
    assert leads[qualifies.pk].qualified_at == now
    # A rep's verdict stands whatever the score.
    assert (leads[settled.pk].score, leads[settled.pk].lead_status) == (95, "unqualified")
    assert not leads[settled.pk].qualified
    assert list(
        LeadActivity.objects.filter(type="qualified").values_list("lead_id", flat=True)
    ) == [qualifies.pk]
    assert list(Task.objects.values_list("lead_id", flat=True)) == [qualifies.pk]


def test_one_lead_write_writes_nothing_when_nothing_changes():
    lead = LeadFactory(score=40, grade="F")

    with CaptureQueriesContext(connection) as queries:
        qualified = lead_score_write(
            lead=lead, score=40, grade="F", threshold=THRESHOLD, now=timezone.now()
        )

    assert not qualified
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_one_lead_write_qualifies_a_lead_in_play_once_its_score_reaches_the_threshold():
    lead = LeadFactory(score=40, grade="F")
    now = timezone.now()

    qualified = lead_score_write(lead=lead, score=85, grade="A", threshold=THRESHOLD, now=now)

    lead.refresh_from_db()
    assert qualified
    assert (lead.score, lead.grade, lead.lead_status, lead.qualified_at) == (
        85,
        "A",
        LeadStatus.QUALIFIED,
        now,
    )
    assert Task.objects.filter(lead=lead).count() == 1


def test_scoring_writes_leads_only_through_leads_services():
    """One writer per table: no UPDATE of a lead's row, in SQL or through the ORM, in scoring."""
    root = Path(scoring.__file__).parent
    sources = {
        path: path.read_text()
        for path in root.rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    }
    direct = re.compile(
        r"\bUPDATE\s|Lead\.objects\b[^\n]*\.(update|bulk_update|update_or_create)\("
        r"|\blead\.save\("
    )

    assert [str(path) for path, text in sources.items() if direct.search(text)] == []
