from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from leads.models import Lead, LeadActivity
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what is sent after commit, as a real request's transaction would."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def test_every_task_of_the_seam_is_registered():
    for name in settings.LEAD_CHANGED_TASKS:
        assert name in current_app.tasks


def test_a_rep_logs_an_activity_and_the_lead_is_rescored(rep_client, rep, on_commit):
    lead = LeadFactory(assigned_to=rep, company="", industry="", title="")

    response = on_commit(
        lambda: rep_client.post(
            f"/api/v1/leads/{lead.pk}/activities/",
            {"type": "demo_requested", "description": "Asked for a demo on the call"},
            format="json",
        )
    )

    assert response.status_code == 201
    assert response.json()["created_by"] == rep.username
    lead.refresh_from_db()
    assert lead.score == 20


@pytest.mark.parametrize("body", [{"type": "assigned"}, {"type": "bogus"}, {}])
def test_logging_refuses_unknown_or_system_types(rep_client, rep, body):
    lead = LeadFactory(assigned_to=rep)

    response = rep_client.post(f"/api/v1/leads/{lead.pk}/activities/", body, format="json")

    assert response.status_code == 400
    assert "type" in response.json()
    assert not lead.activities.exists()


def test_a_rep_cannot_log_on_another_reps_lead(rep_client, other_rep):
    lead = LeadFactory(assigned_to=other_rep)

    response = rep_client.post(
        f"/api/v1/leads/{lead.pk}/activities/", {"type": "note"}, format="json"
    )

    assert response.status_code == 404
    assert not lead.activities.exists()


def test_marketing_events_rescore_the_lead_by_email(capture_client, on_commit):
    lead = LeadFactory(email="jane@acme.com", company="", industry="", title="")
    opened = timezone.now() - timedelta(days=2)

    response = on_commit(
        lambda: capture_client.post(
            "/api/v1/events/",
            {"email": " Jane@ACME.com", "type": "email_clicked", "occurred_at": opened.isoformat()},
            format="json",
        )
    )

    assert response.status_code == 201
    activity = lead.activities.get(type="email_clicked")
    assert activity.created_at == opened
    assert activity.metadata["received_via"] == "capture key: www.example.com"
    lead.refresh_from_db()
    assert lead.score == 5


def test_an_event_for_an_unknown_email_answers_404_and_stores_nothing(capture_client):
    response = capture_client.post(
        "/api/v1/events/", {"email": "nobody@x.com", "type": "email_opened"}, format="json"
    )

    assert response.status_code == 404
    assert "nobody@x.com" in response.json()["detail"]
    assert LeadActivity.objects.count() == 0
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "jane@acme.com", "type": "hacked"}, "type"),
        ({"email": "jane@acme.com", "type": "note"}, "type"),
        ({"email": "jane@acme.com"}, "type"),
        ({"email": "not-an-email", "type": "email_opened"}, "email"),
        (
            {"email": "jane@acme.com", "type": "email_opened", "occurred_at": "yesterday"},
            "occurred_at",
        ),
        (
            {
                "email": "jane@acme.com",
                "type": "email_opened",
                "occurred_at": "2099-01-01T00:00:00Z",
            },
            "occurred_at",
        ),
    ],
)
def test_bad_events_answer_400(capture_client, body, field):
    LeadFactory(email="jane@acme.com")

    response = capture_client.post("/api/v1/events/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert LeadActivity.objects.count() == 0


def test_events_need_a_capture_key(api_client):
    LeadFactory(email="jane@acme.com")

    response = api_client.post(
        "/api/v1/events/", {"email": "jane@acme.com", "type": "email_opened"}, format="json"
    )

    assert response.status_code == 401


def test_score_explains_each_rule_that_fired(rep_client, rep):
    lead = LeadFactory(
        assigned_to=rep, title="VP Sales", employee_count=5000, industry="Retail", company=""
    )
    LeadActivity.objects.bulk_create(LeadActivity(lead=lead, type="email_opened") for _ in range(3))
    from scoring.services import lead_score

    lead_score(lead_id=lead.pk)

    response = rep_client.get(f"/api/v1/leads/{lead.pk}/score/")

    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["grade"], body["qualified"], body["raw_total"]) == (
        36,
        "F",
        False,
        36,
    )
    lines = {line["name"]: (line["points"], line["count"]) for line in body["breakdown"]}
    assert lines == {
        "Title: VP": (15, None),
        "Company size: over 1,000": (15, None),
        "Email opened": (6, 3),
    }
    assert {line["category"] for line in body["breakdown"]} == {
        "demographic",
        "firmographic",
        "behavioral",
    }


def test_score_shows_the_total_before_clamping(manager_client):
    lead = LeadFactory(
        title="C-level VP Director", email="a@b.gov", employee_count=5000, industry="Finance"
    )
    LeadActivity.objects.bulk_create(
        LeadActivity(lead=lead, type="demo_requested") for _ in range(3)
    )

    body = manager_client.get(f"/api/v1/leads/{lead.pk}/score/").json()

    assert body["raw_total"] == 20 + 15 + 10 + 10 + 15 + 10 + 60


def test_score_of_another_reps_lead_answers_404(rep_client, other_rep):
    lead = LeadFactory(assigned_to=other_rep)

    assert rep_client.get(f"/api/v1/leads/{lead.pk}/score/").status_code == 404
