"""The bulk rescore in chunks, several at a time on connections of their own."""

import pytest
from django.utils import timezone

from leads.models import Lead
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


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_chunks_on_two_connections_score_every_lead_as_the_python_engine_does():
    leads_make(23)
    expected = expected_scores()
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
    assert steps[-1] == (23, 23)
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_chunk_fails_the_rescore_and_later_chunks_do_not_run(monkeypatch):
    leads_make(12)
    from scoring import rescore

    real = rescore.chunk_rescore
    calls = []

    def chunk_rescore(rules, *, now, low, high, since):
        calls.append(low)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(rules, now=now, low=low, high=high, since=since)

    monkeypatch.setattr(rescore, "chunk_rescore", chunk_rescore)

    with pytest.raises(RuntimeError, match="database went away"):
        leads_rescore_sql(RuleSet.load(), now=timezone.now(), chunk_size=1, workers=2)

    # The chunks not yet started when the first one failed were dropped.
    assert len(calls) < 12


@pytest.mark.django_db
def test_inside_a_transaction_the_chunks_see_its_uncommitted_leads():
    leads_make(9)  # not committed: the test runs in a transaction

    leads_rescore_sql(RuleSet.load(), now=timezone.now(), chunk_size=2, workers=2)

    assert {lead.pk: (lead.score, lead.grade) for lead in Lead.objects.all()} == expected_scores()


@pytest.mark.django_db
def test_new_leads_are_numbered_in_arrival_order():
    """Chunks of ids are then runs of neighbouring rows, not a scatter over the table."""
    leads = [LeadFactory() for _ in range(5)]

    assert [lead.pk.version for lead in leads] == [7] * 5
    assert sorted(lead.pk for lead in leads) == [lead.pk for lead in leads]
    assert list(Lead.objects.order_by("id").values_list("pk", flat=True)) == [
        lead.pk for lead in leads
    ]
