"""A lead whose score reaches the threshold is qualified as a rep's BANT verdict qualifies it:
on its timeline, with a discovery call to schedule, and out of nurturing. The Python scorer
(one lead) and the bulk rescore (many) do the same."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assignment.models import NurtureEnrollment
from assignment.nurture.steps import nurture_run_due
from crm import task_names
from crm.models import OutboxMessage
from leads.models import Lead, LeadActivity, LeadStatus, Task
from leads.selectors import lead_with_nurture
from leads.services import lead_assign
from scoring.models import ScoringSettings
from scoring.services import lead_score, leads_rescore

from ..factories import LeadFactory, nurture_enrol

pytestmark = pytest.mark.django_db


def by_lead_score(lead: Lead) -> None:
    lead_score(lead_id=lead.pk)


def by_rescore(lead: Lead) -> None:
    leads_rescore(chunk_size=2)


SERVICES = [pytest.param(by_lead_score, id="lead_score"), pytest.param(by_rescore, id="rescore")]


def hot_lead(**fields) -> Lead:
    """A lead worth 15 (Title: VP) under the default rules, which a threshold of 15 qualifies."""
    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": 15})
    return LeadFactory(**{"title": "VP Sales", "company": "", "industry": "", **fields})


@pytest.mark.parametrize("score", SERVICES)
def test_qualifying_by_score_records_why_schedules_a_call_and_ends_nurturing(score, rep):
    lead = nurture_enrol(hot_lead(assigned_to=rep))
    LeadFactory(title="Engineer", company="", industry="")  # scored, not qualified
    started = timezone.now()

    score(lead)

    lead.refresh_from_db()
    assert lead.qualified and lead.lead_status == LeadStatus.QUALIFIED
    assert lead.qualified_at >= started
    shown = lead_with_nurture(lead)
    assert (shown.nurture_sequence, shown.nurture_next_step_at) == (None, None)
    # Its exit is asked for as the scoring commits; the runner's sweep would make it good.
    assert OutboxMessage.objects.filter(task=task_names.NURTURE_LEAVE).get().args == [
        [str(lead.pk)]
    ]
    activity = LeadActivity.objects.get(type="qualified")
    assert activity.lead == lead
    assert activity.description == "Qualified by score: 15 reached the threshold of 15"
    assert activity.metadata == {"by": "score", "score": 15, "threshold": 15}
    assert activity.created_at == lead.qualified_at
    call = Task.objects.get()
    assert (call.lead, call.title, call.priority, call.owner) == (
        lead,
        "Schedule discovery call",
        "high",
        rep,
    )
    assert call.due_at == lead.qualified_at + timedelta(hours=24)
    assert call.completed_at is None

    nurture_run_due(now=timezone.now() + timedelta(hours=100))
    assert NurtureEnrollment.objects.get(lead=lead).exit_reason == "qualified"


@pytest.mark.parametrize("score", SERVICES)
def test_an_unassigned_leads_call_waits_for_its_first_owner(score, rep):
    lead = hot_lead()

    score(lead)

    call = Task.objects.get(lead=lead, title="Schedule discovery call")
    assert call.owner is None
    lead_assign(lead=lead, to=rep)
    call.refresh_from_db()
    assert call.owner == rep


@pytest.mark.parametrize("score", SERVICES)
def test_a_lead_is_qualified_by_score_once(score, rep):
    lead = hot_lead(assigned_to=rep)

    score(lead)
    Lead.objects.filter(pk=lead.pk).update(title="VP Sales and C-level")  # scores again
    score(lead)

    assert LeadActivity.objects.filter(lead=lead, type="qualified").count() == 1
    assert Task.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize("score", SERVICES)
def test_scoring_never_qualifies_a_lead_a_rep_settled(score, rep):
    lead = hot_lead(assigned_to=rep, lead_status=LeadStatus.UNQUALIFIED)

    score(lead)

    lead.refresh_from_db()
    assert not lead.qualified and lead.lead_status == LeadStatus.UNQUALIFIED
    assert not LeadActivity.objects.filter(type="qualified").exists()
    assert not Task.objects.exists()


def test_the_rescore_qualifies_in_a_fixed_number_of_statements_per_chunk(rep):
    """The timeline entries and calls of a chunk's qualified leads are one INSERT each,
    however many the chunk qualifies."""

    def statements(qualifying: int) -> int:
        Lead.objects.all().delete()
        for i in range(qualifying):
            hot_lead(assigned_to=rep if i % 2 else None)
        for _ in range(8 - qualifying):
            LeadFactory(title="Engineer", company="", industry="")
        with CaptureQueriesContext(connection) as queries:
            summary = leads_rescore(chunk_size=100)
        assert summary.qualified == qualifying
        assert Task.objects.filter(title="Schedule discovery call").count() == qualifying
        return len(queries)

    assert statements(2) == statements(7)
    assert statements(0) < statements(2)


def test_the_rescore_summary_counts_the_leads_it_qualified(rep):
    hot_lead(assigned_to=rep)
    hot_lead(qualified=True, lead_status=LeadStatus.QUALIFIED)
    LeadFactory(title="Engineer", company="", industry="")

    summary = leads_rescore(chunk_size=1)

    assert (summary.changed, summary.qualified) == (3, 1)
