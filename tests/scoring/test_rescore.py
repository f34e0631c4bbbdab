"""The bulk rescore in chunks, several at a time on connections of their own."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from leads.models import Lead
from scoring import rescore
from scoring.engine import activity_counts, lead_score_compute
from scoring.rescore import leads_rescore_sql
from scoring.rules import RuleSet

from ..conftest import requires_postgres
from ..factories import LeadActivityFactory, LeadFactory

TITLES = ["VP of Sales", "Director", "Engineer", "C-level VP", ""]


def leads_make(count: int) -> None:
    for i in range(count):
        lead = LeadFactory(
            title=TITLES[i % len(TITLES)],
            email=f"lead{i}@example.{'gov' if i % 3 == 0 else 'com'}",
            employee_count=[None, 5, 50, 500, 5000][i % 5],
            industry="Finance" if i % 2 else "Retail",
        )
        for _ in range(i % 4):
            LeadActivityFactory(lead=lead, type="demo_requested")


def expected_scores() -> dict:
    rules, now = RuleSet.load(), timezone.now()
    return {
        lead.pk: (result.score, result.grade)
        for lead in Lead.objects.all()
        for result in [lead_score_compute(lead, activity_counts(lead.pk, rules, now), rules)]
    }


def chunks_recorded(monkeypatch, before=None) -> list:
    """Record each chunk's low bound and database session (PostgreSQL) as it runs."""
    real = rescore.chunk_rescore
    calls = []

    def chunk_rescore(rules, *, now, low, high, since):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            calls.append((low, cursor.fetchone()[0]))
        if before:
            before(len(calls))
        return real(rules, now=now, low=low, high=high, since=since)

    monkeypatch.setattr(rescore, "chunk_rescore", chunk_rescore)
    return calls


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_chunks_on_two_connections_score_every_lead_as_the_python_engine_does(monkeypatch):
    leads_make(23)
    expected = expected_scores()
    calls = chunks_recorded(monkeypatch)
    steps = []

    summary = leads_rescore_sql(
        RuleSet.load(),
        now=timezone.now(),
        chunk_size=4,
        workers=2,
        progress=lambda done, total: steps.append((done, total)),
    )

    scores = {lead.pk: (lead.score, lead.grade) for lead in Lead.objects.all()}
    assert scores == expected
    assert summary.scanned == 23
    assert summary.changed == sum(
        1 for score, grade in expected.values() if (score, grade) != (0, "")
    )
    assert len(calls) == 6  # 4 + 4 + 4 + 4 + 4 + 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    # Each chunk on a connection of its own thread, closed after it (a worker lives for days).
    assert own not in {pid for _, pid in calls}
    assert len({pid for _, pid in calls}) == 6
    assert steps == [(4, 23), (8, 23), (12, 23), (16, 23), (20, 23), (23, 23)]


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_chunk_fails_the_rescore_and_chunks_not_started_never_run(monkeypatch):
    leads_make(12)

    def before(call: int) -> None:
        if call == 1:
            raise RuntimeError("database went away")
        # The others take a moment, so the failure is seen while they run.
        time.sleep(0.3)

    calls = chunks_recorded(monkeypatch, before)

    with pytest.raises(RuntimeError, match="database went away"):
        leads_rescore_sql(RuleSet.load(), now=timezone.now(), chunk_size=1, workers=2)

    # The first chunk and the one beside it, and the one its thread took next: of thirteen.
    assert len(calls) <= 3


@requires_postgres
@pytest.mark.django_db
def test_inside_a_transaction_the_chunks_run_on_its_connection_and_see_its_rows(monkeypatch):
    leads_make(9)  # not committed: the test runs in a transaction
    calls = chunks_recorded(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]

    leads_rescore_sql(RuleSet.load(), now=timezone.now(), chunk_size=2, workers=2)

    assert {lead.pk: (lead.score, lead.grade) for lead in Lead.objects.all()} == expected_scores()
    assert {pid for _, pid in calls} == {own}


@pytest.mark.django_db
def test_new_leads_are_numbered_in_arrival_order():
    """Chunks of ids are then runs of neighbouring rows, not a scatter over the table."""
    leads = [LeadFactory() for _ in range(5)]

    assert [lead.pk.version for lead in leads] == [7] * 5
    assert sorted(lead.pk for lead in leads) == [lead.pk for lead in leads]
    assert list(Lead.objects.order_by("id").values_list("pk", flat=True)) == [
        lead.pk for lead in leads
    ]
