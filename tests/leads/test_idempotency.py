import json
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

import leads.api.views
from leads.models import CaptureKey, IdempotencyKey, Lead, LeadActivity
from leads.services import lead_capture
from leads.tasks import idempotency_keys_purge_task
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

CAPTURE = "/api/v1/capture/"
EVENTS = "/api/v1/events/"
BODY = {"email": "jane@acme.com", "first_name": "Jane", "company": "Acme"}


def post(client, url, data, key="retry-1", **headers):
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(url, data, format="json", headers=headers)


def test_replay_returns_the_original_response_and_changes_nothing(
    capture_client, django_capture_on_commit_callbacks
):
    first = post(capture_client, CAPTURE, BODY)
    lead = Lead.objects.get()

    with django_capture_on_commit_callbacks() as callbacks:
        again = post(capture_client, CAPTURE, BODY)

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    # Nothing ran: no activity, no write to the lead, nothing started after commit (no rescore).
    assert LeadActivity.objects.count() == 1
    assert Lead.objects.get().updated_at == lead.updated_at
    assert callbacks == []


def test_a_form_encoded_capture_is_replayed_too(capture_client):
    def send():
        return capture_client.post(
            CAPTURE,
            "email=jane%40acme.com&first_name=Jane&utm_source=ads",
            content_type="application/x-www-form-urlencoded",
            headers={"Idempotency-Key": "form-1"},
        )

    first, again = send(), send()

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LeadActivity.objects.get().metadata["extra"] == {"utm_source": "ads"}


def test_without_the_header_every_post_is_a_capture(capture_client):
    post(capture_client, CAPTURE, BODY, key=None)
    second = post(capture_client, CAPTURE, BODY, key=None)

    assert second.status_code == 200
    assert LeadActivity.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_new_key_is_a_new_request(capture_client):
    post(capture_client, CAPTURE, BODY, key="a")
    second = post(capture_client, CAPTURE, BODY, key="b")

    assert second.status_code == 200
    assert LeadActivity.objects.count() == 2


def test_same_key_with_another_body_answers_422_and_changes_nothing(capture_client):
    post(capture_client, CAPTURE, BODY)

    response = post(capture_client, CAPTURE, {**BODY, "first_name": "Janet"})

    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Lead.objects.get().first_name == "Jane"
    assert LeadActivity.objects.count() == 1


def test_same_key_on_the_other_endpoint_answers_422(capture_client):
    post(capture_client, CAPTURE, BODY)

    response = post(capture_client, EVENTS, {"email": "jane@acme.com", "type": "page_viewed"})

    assert response.status_code == 422
    assert LeadActivity.objects.count() == 1


def test_keys_are_scoped_per_capture_key(capture_client):
    post(capture_client, CAPTURE, BODY)
    _, other_key = CaptureKey.objects.create_key(name="partner.example")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")

    response = post(other, CAPTURE, BODY)

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert LeadActivity.objects.count() == 2


def test_a_refused_request_is_replayed_with_the_same_error(capture_client):
    bad = {"email": "not an email", "first_name": "Jane"}
    first = post(capture_client, CAPTURE, bad)

    again = post(capture_client, CAPTURE, bad)

    assert first.status_code == 400
    assert again.status_code == 400
    assert again.json() == first.json() == {"email": ["Enter a valid email address."]}
    assert again["Idempotent-Replayed"] == "true"
    assert not Lead.objects.exists()


def test_event_replay_adds_no_second_activity(capture_client):
    lead_capture(email="jane@acme.com")
    event = {"email": "jane@acme.com", "type": "demo_requested"}

    first = post(capture_client, EVENTS, event, key="evt-1")
    again = post(capture_client, EVENTS, event, key="evt-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert LeadActivity.objects.filter(type="demo_requested").count() == 1


def test_event_for_an_unknown_email_replays_its_404(capture_client):
    event = {"email": "nobody@acme.com", "type": "page_viewed"}
    first = post(capture_client, EVENTS, event, key="evt-404")
    lead_capture(email="nobody@acme.com")

    again = post(capture_client, EVENTS, event, key="evt-404")

    assert first.status_code == again.status_code == 404
    assert not LeadActivity.objects.filter(type="page_viewed").exists()


def test_retry_while_the_first_request_runs_answers_409(capture_client, monkeypatch):
    real_capture = leads.api.views.lead_capture
    retries = []

    def capture_and_meanwhile_retry(**kwargs):
        # The client gave up waiting and retries while this request is still capturing.
        retries.append(post(capture_client, CAPTURE, BODY))
        return real_capture(**kwargs)

    monkeypatch.setattr(leads.api.views, "lead_capture", capture_and_meanwhile_retry)

    response = post(capture_client, CAPTURE, BODY)

    assert response.status_code == 201
    assert [r.status_code for r in retries] == [409]
    assert "still running" in retries[0].json()["detail"]
    assert LeadActivity.objects.count() == 1


def test_a_request_that_crashed_can_be_retried(capture_client, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(leads.api.views, "lead_capture", crash)
    with pytest.raises(RuntimeError):
        post(capture_client, CAPTURE, BODY)
    monkeypatch.undo()

    response = post(capture_client, CAPTURE, BODY)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Lead.objects.count() == 1


def test_a_reservation_abandoned_by_a_dead_process_is_taken_over(capture_client):
    post(capture_client, CAPTURE, BODY)
    # The process died mid-request: its work rolled back, and its reservation is all that is
    # left (the response is stored in the transaction of the work, so none was stored).
    Lead.objects.all().delete()
    IdempotencyKey.objects.update(
        status_code=None, response_body="", created_at=timezone.now() - timedelta(minutes=10)
    )

    response = post(capture_client, CAPTURE, BODY)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Lead.objects.count() == 1
    assert post(capture_client, CAPTURE, BODY)["Idempotent-Replayed"] == "true"


def test_an_expired_key_may_be_used_again(capture_client):
    post(capture_client, CAPTURE, BODY)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(capture_client, CAPTURE, {**BODY, "title": "CTO"})

    assert response.status_code == 200
    assert Lead.objects.get().title == "CTO"


@pytest.mark.parametrize(
    "header",
    ["", "x" * 256, "caf\u00e9", "tab\there"],
    ids=["empty", "too-long", "not-ascii", "control-character"],
)
def test_a_malformed_key_answers_400_and_saves_nothing(capture_client, header):
    response = capture_client.post(
        CAPTURE, BODY, format="json", HTTP_IDEMPOTENCY_KEY=header.encode().decode("latin-1")
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Lead.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_a_key_of_255_printable_characters_is_accepted(capture_client):
    response = post(capture_client, CAPTURE, BODY, key="k" * 254 + "~")

    assert response.status_code == 201


def test_purge_removes_keys_older_than_a_day_only(capture_client):
    post(capture_client, CAPTURE, BODY, key="old")
    post(capture_client, CAPTURE, BODY, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    IdempotencyKey.objects.filter(key="new").update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )

    assert idempotency_keys_purge_task.delay().get() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_purge_runs_hourly_from_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="leads.idempotency_keys_purge")

    assert task.enabled
    assert task.crontab.hour == "*"


def test_the_schema_documents_the_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path in (CAPTURE, EVENTS):
        operation = schema["paths"][path]["post"]
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["Idempotency-Key"]
        assert {"409", "422", "429"} <= set(operation["responses"])


def test_a_crash_after_the_capture_leaves_neither_the_capture_nor_a_stuck_key(
    capture_client, monkeypatch
):
    from leads.api import idempotency_header

    def crash(**kwargs):
        raise OSError("the process died before the response was stored")

    monkeypatch.setattr(idempotency_header, "idempotency_key_complete", crash)
    capture_client.raise_request_exception = False

    failed = post(capture_client, CAPTURE, BODY)
    monkeypatch.undo()
    retried = post(capture_client, CAPTURE, BODY)

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert Lead.objects.count() == 1
    assert LeadActivity.objects.filter(type="captured").count() == 1


def test_a_replay_reveals_nothing_about_a_known_lead(capture_client, rep):
    lead = LeadFactory(
        email="jane@acme.com", assigned_to=rep, custom_fields={"bant": {"notes": "CFO signs"}}
    )

    first = post(capture_client, CAPTURE, BODY)
    again = post(capture_client, CAPTURE, BODY)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"id": str(lead.pk), "created": False}
    assert "CFO" not in IdempotencyKey.objects.get().response_body


def test_the_migration_cuts_stored_responses_to_id_and_created():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("leads.migrations.0017_idempotency_responses_trimmed")
    capture_key = CaptureKey.objects.create_key(name="www.example.com")[0]
    lead = lead_capture(email="jane@acme.com").lead
    activity = LeadActivity.objects.create(lead=lead, type="page_viewed")
    # Responses stored before the APIs answered with the id alone.
    stored = {
        "new": (201, {"id": str(lead.pk), "email": lead.email, "custom_fields": {"x": 1}}),
        "known": (200, {"id": str(lead.pk), "email": lead.email, "assigned_to": 7}),
        "event": (201, {"id": str(activity.pk), "type": "page_viewed", "metadata": {}}),
        "refused": (400, {"email": ["Enter a valid email address."]}),
    }
    for key, (status_code, body) in stored.items():
        IdempotencyKey.objects.create(
            capture_key=capture_key,
            key=key,
            fingerprint="f",
            status_code=status_code,
            response_body=json.dumps(body),
        )

    migration.responses_trim(apps, None)

    bodies = {row.key: json.loads(row.response_body) for row in IdempotencyKey.objects.all()}
    assert bodies == {
        "new": {"id": str(lead.pk), "created": True},
        "known": {"id": str(lead.pk), "created": False},
        "event": {"id": str(lead.pk), "created": False},
        "refused": {"email": ["Enter a valid email address."]},
    }
