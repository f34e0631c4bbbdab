import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings

from leads.models import Lead, LeadActivity, LeadStatus
from leads.services import lead_capture
from tests.factories import LeadFactory

URL = "/api/v1/capture/"

pytestmark = pytest.mark.django_db


def post(client, data, fmt="json"):
    return client.post(URL, data, format=fmt)


def test_api_capture_creates_lead_with_defaults(capture_client):
    response = post(
        capture_client,
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@acme.com",
            "company": "Acme",
            "employee_count": 250,
            "annual_revenue": "2500000.00",
            "message": "Pricing please",
        },
    )

    assert response.status_code == 201
    lead = Lead.objects.get(email="jane@acme.com")
    assert response.json() == {"id": str(lead.pk), "created": True}
    assert (lead.lead_source, lead.lead_status, lead.assigned_to) == ("api", "new", None)
    assert lead.employee_count == 250
    assert lead.annual_revenue == Decimal("2500000.00")
    activity = lead.activities.get()
    assert activity.type == "captured"
    assert activity.description == "Pricing please"
    assert activity.metadata["received_via"] == "capture key: www.example.com"


def test_capture_of_a_known_lead_reveals_nothing_about_it(capture_client, rep):
    # A capture key sits in a marketing site's pages: whoever holds it may try any email.
    lead = LeadFactory(
        email="pat@acme.example",
        phone="+1 555 0100",
        assigned_to=rep,
        lead_status=LeadStatus.CONTACTED,
        score=85,
        custom_fields={"bant": {"notes": "CFO signs off in March, budget 80k"}},
    )

    response = post(capture_client, {"email": "Pat@Acme.example", "first_name": "Pat"})

    assert response.status_code == 200
    assert response.json() == {"id": str(lead.pk), "created": False}
    assert b"CFO" not in response.content and b"555" not in response.content


def test_an_event_answers_with_the_lead_id_only(capture_client, rep):
    lead = LeadFactory(
        email="pat@acme.example",
        assigned_to=rep,
        score=85,
        custom_fields={"bant": {"notes": "CFO signs off in March"}},
    )

    response = capture_client.post(
        "/api/v1/events/",
        {"email": "pat@acme.example", "type": "email_opened", "description": "Spring promo"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"id": str(lead.pk), "created": False}
    assert lead.activities.get(type="email_opened").description == "Spring promo"


def test_form_channel_records_form_submitted(capture_client):
    response = post(capture_client, {"email": "f@x.com", "channel": "form"})

    assert response.status_code == 201
    assert Lead.objects.get().lead_source == "website_form"
    assert Lead.objects.get().lead_status == "new"
    assert LeadActivity.objects.get().type == "form_submitted"


def test_chat_channel_starts_contacted_and_keeps_transcript(capture_client):
    response = post(
        capture_client,
        {"email": "c@x.com", "channel": "chat", "chat_transcript": "Visitor: hi\nAgent: hello"},
    )

    assert response.status_code == 201
    assert Lead.objects.get().lead_source == "live_chat"
    assert Lead.objects.get().lead_status == "contacted"
    activity = LeadActivity.objects.get()
    assert activity.type == "chat_started"
    assert activity.metadata["chat_transcript"] == "Visitor: hi\nAgent: hello"


def test_explicit_source_wins_over_channel_default(capture_client):
    post(capture_client, {"email": "w@x.com", "source": "webinar"})

    assert Lead.objects.get().lead_source == "webinar"


def test_form_encoded_body_is_accepted(capture_client):
    response = capture_client.post(
        URL,
        "email=form%40x.com&first_name=Ola&employee_count=&custom_fields%5Bplan%5D=pro",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201, response.content
    lead = Lead.objects.get(email="form@x.com")
    assert lead.first_name == "Ola"
    assert lead.employee_count is None
    assert lead.custom_fields == {"plan": "pro"}


def test_dedupe_ignores_case_and_whitespace(capture_client):
    first = post(capture_client, {"email": " Foo@Example.COM ", "first_name": "Foo"})
    second = post(capture_client, {"email": "foo@example.com", "last_name": "Bar"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    lead = Lead.objects.get()
    assert lead.email == "foo@example.com"
    assert (lead.first_name, lead.last_name) == ("Foo", "Bar")
    assert lead.activities.count() == 2


def test_a_known_lead_gets_empty_fields_filled_and_keeps_what_it_has(capture_client):
    post(
        capture_client,
        {
            "email": "a@x.com",
            "first_name": "Ann",
            "company": "Old Co",
            "phone": "123",
            "source": "webinar",
            "custom_fields": {"plan": "free", "utm": "google"},
        },
    )
    response = post(
        capture_client,
        {
            "email": "a@x.com",
            "first_name": "",
            "company": "New Co",
            "phone": None,
            "title": "CTO",
            "source": "ads",
            "custom_fields": {"plan": "pro", "seats": 5},
        },
    )

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company, lead.phone, lead.title) == (
        "Ann",
        "Old Co",
        "123",
        "CTO",
    )
    assert lead.lead_source == "webinar"
    assert lead.custom_fields == {"plan": "free", "utm": "google", "seats": 5}
    # What differed is kept on the capture, for the rep to judge.
    activity = lead.activities.order_by("created_at").last()
    assert activity.metadata["not_applied"] == {
        "company": "New Co",
        "source": "ads",
        "custom_fields": {"plan": "pro"},
    }
    assert activity.metadata["submitted"]["title"] == "CTO"


def test_public_posts_never_overwrite_a_worked_lead(capture_client, rep):
    lead = LeadFactory(
        email="pat@acme.example",
        phone="+1 555 0100",
        title="VP Sales",
        employee_count=250,
        annual_revenue=Decimal("5000000.00"),
        lead_source="trade_show",
        assigned_to=rep,
    )

    response = post(
        capture_client,
        {
            "email": "pat@acme.example",
            "phone": "+1 555 9999",
            "title": "Intern",
            "employee_count": 1,
            "annual_revenue": "1.00",
            "source": "spam",
        },
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.phone, lead.title, lead.employee_count, lead.annual_revenue) == (
        "+1 555 0100",
        "VP Sales",
        250,
        Decimal("5000000.00"),
    )
    assert lead.lead_source == "trade_show"


def test_chat_on_a_known_lead_moves_new_to_contacted_but_not_back(capture_client):
    post(capture_client, {"email": "a@x.com"})
    post(capture_client, {"email": "a@x.com", "channel": "chat"})
    assert Lead.objects.get().lead_status == LeadStatus.CONTACTED

    Lead.objects.update(lead_status=LeadStatus.QUALIFIED)
    post(capture_client, {"email": "a@x.com", "channel": "chat"})
    assert Lead.objects.get().lead_status == LeadStatus.QUALIFIED


def test_chat_never_moves_a_lead_a_rep_owns(capture_client, rep):
    post(capture_client, {"email": "a@x.com"})
    Lead.objects.update(assigned_to=rep)

    post(capture_client, {"email": "a@x.com", "channel": "chat"})

    assert Lead.objects.get().lead_status == LeadStatus.NEW


def test_unknown_fields_are_kept_on_the_activity(capture_client):
    post(capture_client, {"email": "a@x.com", "utm_campaign": "spring", "gclid": "abc"})

    activity = LeadActivity.objects.get()
    assert activity.metadata["extra"] == {"utm_campaign": "spring", "gclid": "abc"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@x.com", "employee_count": "many"}, "employee_count"),
        ({"email": "a@x.com", "employee_count": -5}, "employee_count"),
        ({"email": "a@x.com", "employee_count": 1.5}, "employee_count"),
        ({"email": "a@x.com", "annual_revenue": -1}, "annual_revenue"),
        ({"email": "a@x.com", "annual_revenue": "lots"}, "annual_revenue"),
        ({"email": "a@x.com", "first_name": "x" * 101}, "first_name"),
        ({"email": "a@x.com", "company": "x" * 256}, "company"),
        ({"email": ("x" * 250) + "@x.com"}, "email"),
        ({"email": "a@x.com", "channel": "fax"}, "channel"),
        ({"email": "a@x.com", "custom_fields": ["a", "b"]}, "custom_fields"),
        ({"email": "a@x.com", "custom_fields": "not json"}, "custom_fields"),
        ({"email": "a@x.com", "custom_fields": {"nested": {"a": 1}}}, "custom_fields"),
        ({"email": "a@x.com", "custom_fields": {f"k{i}": i for i in range(51)}}, "custom_fields"),
        ({"email": "a@x.com", "custom_fields": {"long": "x" * 1001}}, "custom_fields"),
    ],
)
def test_bad_input_answers_400_per_field_and_saves_nothing(capture_client, payload, field):
    response = post(capture_client, payload)

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Lead.objects.count() == 0
    assert LeadActivity.objects.count() == 0


def test_bad_input_for_a_known_lead_changes_nothing(capture_client):
    post(capture_client, {"email": "a@x.com", "company": "Acme"})

    response = post(capture_client, {"email": "a@x.com", "company": "Other", "employee_count": -1})

    assert response.status_code == 400
    assert Lead.objects.get().company == "Acme"
    assert LeadActivity.objects.count() == 1


def test_malformed_json_answers_400(capture_client):
    response = capture_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_body_over_one_mebibyte_answers_413(capture_client):
    body = json.dumps({"email": "big@x.com", "message": "x" * (1024 * 1024)})

    response = capture_client.post(URL, body, content_type="application/json")

    assert response.status_code == 413
    assert Lead.objects.count() == 0


def test_missing_key_answers_401(api_client):
    response = post(api_client, {"email": "a@x.com"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert Lead.objects.count() == 0


def test_wrong_key_answers_401(api_client, capture_key):
    prefix = capture_key.split(".")[0]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {prefix}.wrongsecret")

    assert post(api_client, {"email": "a@x.com"}).status_code == 401
    assert Lead.objects.count() == 0


def test_revoked_key_answers_401(capture_client):
    from leads.models import CaptureKey

    CaptureKey.objects.update(revoked=True)

    assert post(capture_client, {"email": "a@x.com"}).status_code == 401
    assert Lead.objects.count() == 0


def test_a_rep_token_is_not_a_capture_key(api_client, rep):
    from rest_framework.authtoken.models import Token

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")

    assert post(api_client, {"email": "a@x.com"}).status_code == 401


@override_settings(LEAD_CHANGED_TASKS=["tests.lead_touch"])
def test_side_effects_start_only_after_commit(capture_client, django_capture_on_commit_callbacks):

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(capture_client, {"email": "a@x.com"})
    assert not LeadActivity.objects.filter(description="touched").exists()

    for callback in callbacks:
        callback()

    assert LeadActivity.objects.filter(description="touched", lead__email="a@x.com").count() == 1


@override_settings(LEAD_CHANGED_TASKS=["tests.lead_touch"])
def test_rolled_back_capture_leaves_nothing_and_starts_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lead_capture(email="gone@x.com")
        raise RuntimeError("the caller's transaction fails")

    assert callbacks == []
    assert LeadActivity.objects.count() == 0
    assert not Lead.objects.filter(email="gone@x.com").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"email": "a@x.com", "custom_fields": {"plan": "a\\u0000b"}}', "custom_fields"),
        ('{"email": "a@x.com", "custom_fields": {"a\\u0000": "b"}}', "custom_fields"),
        ('{"email": "a@x.com", "custom_fields": {"plan": "\\ud800"}}', "custom_fields"),
        ('{"email": "a@x.com", "custom_fields": {"seats": 1e400}}', "custom_fields"),
        ('{"email": "a@x.com", "custom_fields": "{\\"seats\\": NaN}"}', "custom_fields"),
        ('{"email": "a@x.com", "custom_fields": {"bant": "yes"}}', "custom_fields"),
        ('{"email": "a@x.com", "utm_source": "a\\u0000b"}', "utm_source"),
        ('{"email": "a@x.com", "utm_source": "\\udfff"}', "utm_source"),
        ('{"email": "a@x.com", "utm_source": 1e400}', "utm_source"),
        ('{"email": "a@x.com", "utm_source": {"nested": 1}}', "utm_source"),
        ('{"email": "a@x.com", "utm_source": "' + "x" * 2001 + '"}', "utm_source"),
        ('{"email": "a@x.com", "first_name": "a\\u0000b"}', "first_name"),
    ],
)
def test_values_that_cannot_be_stored_faithfully_answer_400(capture_client, body, field):
    response = capture_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Lead.objects.count() == 0


def test_too_many_extra_fields_answer_400(capture_client):
    body = {"email": "a@x.com", **{f"field{i}": "x" for i in range(51)}}

    response = post(capture_client, body)

    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_deeply_nested_json_answers_400(capture_client):
    body = '{"email": "a@x.com", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = capture_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_file_uploads_are_refused(capture_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = capture_client.post(
        URL, {"email": "a@x.com", "cv": SimpleUploadedFile("cv.pdf", b"%PDF")}, format="multipart"
    )

    assert response.status_code == 415
    assert Lead.objects.count() == 0


def test_email_is_checked_after_it_is_lower_cased(capture_client):
    # "İ" lower-cases to two characters: 249 characters as sent, over 255 once normalized.
    domain = ".".join(["İ" * 60] * 4)
    email = f"a@{domain}.com"
    assert len(email) <= 255 < len(email.lower())

    response = post(capture_client, {"email": email})

    assert response.status_code == 400
    assert "email" in response.json()
    assert Lead.objects.count() == 0


def test_repeated_form_fields_keep_every_value(capture_client):
    response = capture_client.post(
        URL,
        "email=a%40x.com&interest=crm&interest=api",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    assert LeadActivity.objects.get().metadata["extra"] == {"interest": ["crm", "api"]}


def test_custom_fields_json_and_bracketed_fields_merge(capture_client):
    response = capture_client.post(
        URL,
        "email=a%40x.com&custom_fields=%7B%22a%22%3A1%7D&custom_fields%5Bb%5D=2",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201, response.content
    assert Lead.objects.get().custom_fields == {"a": 1, "b": "2"}


def test_empty_custom_field_values_never_erase(capture_client):
    post(capture_client, {"email": "a@x.com", "custom_fields": {"plan": "pro", "utm": "ads"}})

    post(capture_client, {"email": "a@x.com", "custom_fields": {"plan": "", "utm": None, "new": 1}})

    assert Lead.objects.get().custom_fields == {"plan": "pro", "utm": "ads", "new": 1}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (URL, '{"email": "a@x.com", "channel": "\\ud800"}', "channel"),
        ("/api/v1/events/", '{"email": "a@x.com", "type": "\\udfff"}', "type"),
    ],
)
def test_a_choice_given_half_a_surrogate_pair_answers_400(capture_client, url, body, field):
    # The error must not quote the input: no renderer can encode it.
    response = capture_client.post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()[field][0].startswith("Must be one of: ")
    assert Lead.objects.count() == 0
