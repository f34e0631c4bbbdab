"""Nothing is forgotten: follow-up tasks, reassignment, first response and its SLA."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from assignment.models import RoutingSettings
from assignment.services import leads_escalate_overdue
from crm.models import Role
from crm.services import user_upsert
from leads.models import LeadActivity, LeadStatus, Task
from leads.services import lead_assign
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_reps():
    return UserFactory(username="ann", email="ann@crm.test"), UserFactory(
        username="bob", email="bob@crm.test"
    )


def assigned_lead(rep, hours_ago: float = 0, **fields):
    lead = LeadFactory(**fields)
    lead_assign(lead=lead, to=rep, now=timezone.now() - timedelta(hours=hours_ago))
    lead.refresh_from_db()
    return lead


def test_open_tasks_follow_a_reassigned_lead_and_done_ones_stay(
    two_reps, manager_client, django_capture_on_commit_callbacks
):
    ann, bob = two_reps
    lead = assigned_lead(ann)
    done = Task.objects.filter(lead=lead).first()
    done.completed_at = timezone.now()
    done.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/api/v1/leads/{lead.pk}/assign/", {"user": bob.pk}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["assigned_to"] == bob.pk
    owners = {(t.completed_at is None, t.owner.username) for t in Task.objects.filter(lead=lead)}
    assert owners == {(True, "bob"), (False, "ann")}
    assert Task.objects.filter(lead=lead).count() == 2  # no new follow-ups on reassignment
    assert [m.to for m in mail.outbox] == [["bob@crm.test"]]


def test_reps_cannot_reassign(rep_client, rep, other_rep):
    lead = LeadFactory(assigned_to=rep)

    response = rep_client.post(
        f"/api/v1/leads/{lead.pk}/assign/", {"user": other_rep.pk}, format="json"
    )

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.assigned_to == rep


def test_assign_refuses_someone_who_is_not_a_sales_user(manager_client):
    lead = LeadFactory()
    outsider = UserFactory(role="")

    response = manager_client.post(
        f"/api/v1/leads/{lead.pk}/assign/", {"user": outsider.pk}, format="json"
    )

    assert response.status_code == 400
    assert "user" in response.json()


def test_managers_bulk_assign_in_admin(two_reps):
    ann, _ = two_reps
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)
    leads = [LeadFactory() for _ in range(3)]

    response = client.post(
        "/admin/leads/lead/",
        {
            "action": "assign_to_rep",
            "user": ann.pk,
            "_selected_action": [str(lead.pk) for lead in leads],
        },
    )

    assert response.status_code == 302
    assert all(lead.__class__.objects.get(pk=lead.pk).assigned_to == ann for lead in leads)
    assert Task.objects.filter(owner=ann).count() == 6


def test_tasks_api_shows_a_rep_their_own_and_filters(rep_client, rep, other_rep):
    mine = assigned_lead(rep)
    assigned_lead(other_rep)
    soon = timezone.now() + timedelta(days=2)

    everything = rep_client.get("/api/v1/tasks/").json()
    due_soon = rep_client.get(
        "/api/v1/tasks/", {"due_before": soon.isoformat(), "open": "true"}
    ).json()
    by_lead = rep_client.get("/api/v1/tasks/", {"lead": str(mine.pk)}).json()

    assert everything["count"] == 2
    assert {t["owner"] for t in everything["results"]} == {rep.pk}
    assert [t["title"] for t in due_soon["results"]] == ["First follow-up"]
    assert by_lead["count"] == 2
    assert rep_client.get("/api/v1/tasks/", {"open": "maybe"}).status_code == 400


def test_a_rep_completes_their_task_but_not_anothers(rep_client, rep, other_rep):
    task = Task.objects.filter(lead=assigned_lead(rep)).first()
    theirs = Task.objects.filter(lead=assigned_lead(other_rep)).first()

    response = rep_client.post(f"/api/v1/tasks/{task.pk}/complete/")

    assert response.status_code == 200
    assert response.json()["is_open"] is False
    task.refresh_from_db()
    assert task.completed_at is not None
    assert rep_client.post(f"/api/v1/tasks/{theirs.pk}/complete/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.completed_at is None


def test_a_call_by_the_owner_is_the_first_response(rep_client, rep):
    lead = assigned_lead(rep, hours_ago=2)

    rep_client.post(f"/api/v1/leads/{lead.pk}/activities/", {"type": "note"}, format="json")
    assert rep_client.get(f"/api/v1/leads/{lead.pk}/").json()["first_response_at"] is None

    rep_client.post(f"/api/v1/leads/{lead.pk}/activities/", {"type": "call"}, format="json")
    rep_client.post(f"/api/v1/leads/{lead.pk}/activities/", {"type": "email_sent"}, format="json")

    body = rep_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["first_response_at"] is not None
    assert 2 * 3600 - 60 <= body["response_time_seconds"] <= 2 * 3600 + 60


def test_moving_to_contacted_is_a_first_response(rep_client, rep):
    lead = assigned_lead(rep)

    rep_client.patch(f"/api/v1/leads/{lead.pk}/", {"lead_status": "contacted"}, format="json")

    lead.refresh_from_db()
    assert lead.first_response_at is not None


def test_an_overdue_lead_is_escalated_once_and_handed_to_the_next_rep(
    two_reps, django_capture_on_commit_callbacks
):
    ann, bob = two_reps
    boss = ManagerFactory(email="boss@crm.test")
    late = assigned_lead(ann, hours_ago=25, first_name="Jane", last_name="Doe", company="")
    fresh = assigned_lead(ann, hours_ago=3)
    answered = assigned_lead(ann, hours_ago=30)
    answered.first_response_at = timezone.now() - timedelta(hours=29)
    answered.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert leads_escalate_overdue() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            leads_escalate_overdue(now=timezone.now() + timedelta(hours=30)) == 1
        )  # fresh, now late

    late.refresh_from_db()
    assert late.assigned_to == bob
    assert late.response_escalated_at is not None
    kinds = list(late.activities.values_list("type", flat=True))
    assert sorted(kinds) == ["assigned", "assigned", "escalated"]
    assert (
        "no response in 25 hours"
        in late.activities.filter(type="assigned").latest("created_at").description
    )
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert ("boss@crm.test", "No response yet: Jane Doe") in subjects
    assert ("bob@crm.test", "New lead assigned: Jane Doe") in subjects
    # Escalated once: a second pass much later leaves it with bob.
    with django_capture_on_commit_callbacks(execute=True):
        leads_escalate_overdue(now=timezone.now() + timedelta(days=5))
    late.refresh_from_db()
    assert late.assigned_to == bob
    assert LeadActivity.objects.filter(lead=late, type="escalated").count() == 1
    fresh.refresh_from_db()
    assert fresh.assigned_to == bob  # overdue by the second pass
    answered.refresh_from_db()
    assert answered.assigned_to == ann and answered.response_escalated_at is None
    assert boss.notifications.count() == 2


def test_the_sla_is_editable(two_reps):
    ann, _ = two_reps
    RoutingSettings.objects.update_or_create(pk=1, defaults={"response_sla_hours": 2})
    assigned_lead(ann, hours_ago=3)

    assert leads_escalate_overdue() == 1


def test_closed_leads_are_not_escalated(two_reps):
    ann, _ = two_reps
    lead = assigned_lead(ann, hours_ago=48)
    lead.lead_status = LeadStatus.UNQUALIFIED
    lead.save()

    assert leads_escalate_overdue() == 0


def test_open_tasks_close_when_nothing_is_owed(two_reps):
    from leads.services import tasks_close_open

    ann, _ = two_reps
    lead = assigned_lead(ann)

    assert tasks_close_open(lead=lead) == 2
    assert not Task.objects.filter(lead=lead, completed_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ('[{"field": "shoe_size", "operator": "gt", "value": "1"}]', "Condition 1: Unknown field"),
        ('[{"field": "industry", "operator": "gt", "value": "1"}]', "compares numbers"),
        ('{"field": "industry"}', "a list of"),
    ],
)
def test_assignment_rules_are_checked_when_saved(two_reps, conditions, message):
    ann, _ = two_reps
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)

    response = client.post(
        "/admin/assignment/assignmentrule/add/",
        {
            "name": "Big",
            "priority": "1",
            "conditions": conditions,
            "assignee": ann.pk,
            "active": "on",
        },
    )

    assert response.status_code == 200
    assert message in response.content.decode()


def test_an_assignment_rule_names_a_rep_or_a_team_not_both(two_reps):
    from assignment.models import Team

    ann, _ = two_reps
    team = Team.objects.create(name="T")
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)

    response = client.post(
        "/admin/assignment/assignmentrule/add/",
        {
            "name": "Both",
            "priority": "1",
            "conditions": "[]",
            "assignee": ann.pk,
            "team": team.pk,
            "active": "on",
        },
    )

    assert response.status_code == 200
    assert "Choose either one rep or a team." in response.content.decode()
