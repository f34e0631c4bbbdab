"""Sales-ready leads reach the right rep at once; the others wait for nurturing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from assignment.models import AssignmentRule, RoutingSettings, Team
from assignment.services import lead_route, leads_route_ready
from crm.models import Notification
from leads.models import Lead, LeadActivity, LeadStatus, Task
from leads.selectors import lead_queue_list, lead_with_nurture
from scoring.services import leads_rescore
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reps():
    return [UserFactory(username=f"rep{i}", email=f"rep{i}@crm.test") for i in range(3)]


def ready_lead(**fields) -> Lead:
    return LeadFactory(**{"score": 75, **fields})


def route(lead: Lead, on_commit) -> Lead:
    with on_commit(execute=True):
        lead_route(lead_id=lead.pk)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_a_lead_below_the_threshold_waits(reps, on_commit):
    lead = route(ready_lead(score=69, lead_status=LeadStatus.NEW), on_commit)

    assert lead.assigned_to is None
    assert lead.lead_status == LeadStatus.NEW
    assert not lead.activities.filter(type="assigned").exists()
    assert lead_with_nurture(lead).nurture_sequence == "Not ready yet"  # nurtured meanwhile


def test_the_threshold_is_editable(reps, on_commit):
    RoutingSettings.objects.update_or_create(pk=1, defaults={"sales_ready_threshold": 50})

    assert route(ready_lead(score=55), on_commit).assigned_to is not None


def test_a_sales_ready_lead_is_assigned_with_timeline_tasks_and_email(reps, on_commit):
    lead = route(
        ready_lead(first_name="Jane", last_name="Doe", company="Acme", score=82, grade="A"),
        on_commit,
    )

    rep = lead.assigned_to
    assert rep in reps and lead.assigned_at is not None
    activity = lead.activities.get(type="assigned")
    assert rep.username in activity.description or rep.get_full_name() in activity.description
    tasks = list(Task.objects.filter(lead=lead).order_by("due_at"))
    assert [t.owner for t in tasks] == [rep, rep]
    assert [round((t.due_at - lead.assigned_at).total_seconds() / 86400) for t in tasks] == [1, 7]
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [rep.email]
    assert email.subject == "New lead assigned: Jane Doe (Acme)"
    assert "Score 82, grade A" in email.body
    assert f"http://127.0.0.1:8000/leads/{lead.pk}/" in email.body
    html = email.alternatives[0][0]
    assert "Jane Doe" in html and "Acme" in html


def test_a_chat_lead_is_assigned_at_once_whatever_its_score(reps, capture_client, on_commit):
    with on_commit(execute=True):
        response = capture_client.post(
            "/api/v1/capture/", {"email": "chat@x.com", "channel": "chat"}, format="json"
        )

    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.score < 70
    assert lead.assigned_to in reps
    assert lead.lead_status == LeadStatus.CONTACTED


def test_capture_of_a_hot_lead_routes_it(reps, capture_client, on_commit):
    with on_commit(execute=True):
        capture_client.post(
            "/api/v1/capture/",
            {
                "email": "ceo@bank.com",
                "title": "C-level VP",
                "employee_count": 5000,
                "annual_revenue": "50000000",
                "industry": "Finance",
                "channel": "form",
            },
            format="json",
        )

    lead = Lead.objects.get()
    assert lead.score >= 70
    assert lead.assigned_to in reps


def test_the_first_matching_rule_by_priority_wins(reps, on_commit):
    big_finance = [
        {"field": "employee_count", "operator": "gt", "value": "1000"},
        {"field": "industry", "operator": "equals", "value": "finance"},
    ]
    AssignmentRule.objects.create(
        name="Any big", priority=20, conditions=big_finance[:1], assignee=reps[1]
    )
    AssignmentRule.objects.create(
        name="Big finance", priority=10, conditions=big_finance, assignee=reps[2]
    )

    assert (
        route(ready_lead(employee_count=5000, industry="Finance"), on_commit).assigned_to == reps[2]
    )
    assert (
        route(ready_lead(employee_count=5000, industry="Retail"), on_commit).assigned_to == reps[1]
    )


def test_a_team_rule_deals_round_robin_inside_the_team(reps, on_commit):
    team = Team.objects.create(name="Enterprise")
    team.members.set(reps[:2])
    AssignmentRule.objects.create(
        name="Enterprise",
        priority=1,
        team=team,
        conditions=[{"field": "employee_count", "operator": "gte", "value": "1000"}],
    )

    owners = [route(ready_lead(employee_count=2000), on_commit).assigned_to for _ in range(4)]

    assert sorted(o.username for o in owners) == ["rep0", "rep0", "rep1", "rep1"]


def test_round_robin_picks_the_rep_with_fewest_open_leads_then_the_longest_idle(reps, on_commit):
    now = timezone.now()
    LeadFactory(assigned_to=reps[0], assigned_at=now - timedelta(hours=1))
    LeadFactory(assigned_to=reps[1], assigned_at=now - timedelta(hours=5))
    LeadFactory(assigned_to=reps[2], assigned_at=now - timedelta(hours=3))
    LeadFactory(assigned_to=reps[2], lead_status=LeadStatus.UNQUALIFIED)  # not open
    LeadFactory(assigned_to=reps[0], converted=True)  # not open

    first = route(ready_lead(), on_commit).assigned_to
    second = route(ready_lead(), on_commit).assigned_to

    assert first == reps[1]  # all have one open lead; rep1 waited longest
    assert second == reps[2]


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"lead_status": LeadStatus.CONTACTED},
        {"lead_status": LeadStatus.QUALIFIED, "qualified": True},
        {"lead_status": LeadStatus.UNQUALIFIED},
        {"lead_status": LeadStatus.CONVERTED, "converted": True},
        # The flag and the status are written together; a lead with one alone is still closed.
        {"converted": True},
        {"lead_status": LeadStatus.CONVERTED},
    ],
)
def test_routing_counts_as_open_exactly_the_leads_a_reps_queue_lists(reps, on_commit, state):
    rep = reps[0]
    for other in reps[1:]:
        other.is_available = False
        other.save()
    rep.max_open_leads = 1
    rep.save()
    LeadFactory(assigned_to=rep, **state)
    _, queue = lead_queue_list(user=rep, params={})
    listed = queue.exists()

    owner = route(ready_lead(), on_commit).assigned_to

    # One open lead fills the rep; a closed one leaves room.
    assert (owner is None) == listed


def test_away_reps_and_full_reps_are_skipped(reps, on_commit):
    reps[0].is_available = False
    reps[0].save()
    reps[1].max_open_leads = 1
    reps[1].save()
    LeadFactory(assigned_to=reps[1])

    owners = {route(ready_lead(), on_commit).assigned_to for _ in range(3)}

    assert owners == {reps[2]}


def test_with_no_rep_available_the_lead_waits_and_managers_hear_once(on_commit):
    boss = ManagerFactory(email="boss@crm.test")
    UserFactory(is_available=False)
    lead = ready_lead(first_name="Jane", last_name="Doe")

    route(lead, on_commit)
    route(lead, on_commit)

    assert lead.assigned_to is None
    assert [m.to for m in mail.outbox] == [[boss.email]]
    assert mail.outbox[0].subject == "No rep available for Jane Doe"
    assert Notification.objects.count() == 1


def test_a_rescore_that_lifts_a_lead_to_the_threshold_routes_it(reps, on_commit):
    lead = LeadFactory(
        title="C-level VP", employee_count=5000, industry="Finance", email="x@city.gov"
    )
    assert lead.assigned_to is None

    with on_commit(execute=True):
        leads_rescore()

    lead.refresh_from_db()
    assert lead.score >= 70
    assert lead.assigned_to in reps


def test_routing_leaves_assigned_closed_and_cold_leads_alone(reps, on_commit):
    owned = ready_lead(assigned_to=reps[0])
    rejected = ready_lead(lead_status=LeadStatus.UNQUALIFIED)
    cold = ready_lead(score=10)

    with on_commit(execute=True):
        examined, routed = leads_route_ready()

    assert (examined, routed) == (0, 0)
    for lead in (owned, rejected, cold):
        before = lead.assigned_to
        lead.refresh_from_db()
        assert lead.assigned_to == before
    assert not LeadActivity.objects.filter(type="assigned").exists()
