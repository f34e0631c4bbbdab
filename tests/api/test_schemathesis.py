"""Schemathesis fuzzes the live OpenAPI schema, as each kind of caller, with every check.

The app runs in-process (WSGI) against the test database, with real rows, so that detail
endpoints are fuzzed against objects that exist as well as ones that do not.
"""

import uuid

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conversion.api.serializers import FORCE_REFUSED
from conversion.services import lead_convert
from leads.filters import NOT_A_GRADE
from leads.models import LeadStatus
from leads.services import Bant, lead_activity_log, lead_qualify

from ..factories import LeadFactory, TaskFactory

SCHEMA_URL = "/api/v1/schema/"
# Schemathesis calls the app as http://localhost/.
HOST = "localhost"

# Loaded once, at import, so that each operation is a test of its own; the schema view reads no
# rows. (schemathesis.pytest.from_fixture would load it per test, but needs an attribute of
# pytest's test items that pytest 9.2 no longer has.)
app = WSGIHandler()
with override_settings(ALLOWED_HOSTS=[HOST]):
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app)


def accepting(scheme: str):
    """The operations whose security accepts credentials of this scheme."""
    return schema.include(
        lambda ctx: any(scheme in entry for entry in ctx.operation.definition.raw["security"])
    )


sales_api = accepting("tokenAuth")
capture_api = accepting("CaptureKey")

# Bounded and repeatable: the same examples on every run, locally and in CI.
fuzzing = hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # The rows are made once per operation, not per example, on purpose; and a request through
    # the whole app is slower than Hypothesis expects of a test.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def in_process(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    # Django closes the database connection after each request; inside the test's transaction
    # that would lose the rows, so the test client disconnects this too.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def rows(rep, other_rep) -> dict[str, list[str]]:
    """A rep's pipeline: a new lead with a task and an activity, a qualified lead, and a
    converted one with its contact, company and deal; plus another rep's lead."""
    new = LeadFactory(assigned_to=rep, lead_status=LeadStatus.NEW)
    lead_activity_log(lead=new, by=rep, type="note", description="Called.")
    task = TaskFactory(lead=new)
    qualified = LeadFactory(assigned_to=rep)
    lead_qualify(lead=qualified, bant=Bant(True, True, True, True), by=rep)
    converted = LeadFactory(assigned_to=rep, company="Acme")
    lead_qualify(lead=converted, bant=Bant(True, True, True, True), by=rep)
    conversion = lead_convert(lead=converted, by=rep)
    leads = [new, qualified, converted, LeadFactory(assigned_to=other_rep)]
    return {
        "leads": [str(lead.pk) for lead in leads],
        "emails": [lead.email for lead in leads],
        "tasks": [str(task.pk)],
        "contacts": [str(conversion.contact.pk)],
        "companies": [str(conversion.company.pk)],
        "deals": [str(conversion.deal.pk)],
    }


def mostly_real(generated: str, real: list[str]) -> str:
    """Three in four generated values become a real one, chosen by the value itself so that
    runs repeat; the rest stay as generated and name nothing."""
    number = int.from_bytes(generated.encode(), "big")
    return real[number % len(real)] if number % 4 else generated


def aim_at_rows(case, rows: dict[str, list[str]]) -> None:
    """Well-formed ids and emails mostly become those of real rows, so that detail endpoints
    and events reach objects that exist; malformed ones from negative generation stay as
    they are."""
    value = (case.path_parameters or {}).get("id")
    collection = case.operation.path.split("/")[3]
    if collection in rows and isinstance(value, str):
        try:
            uuid.UUID(value)
        except ValueError:
            pass
        else:
            case.path_parameters["id"] = mostly_real(value, rows[collection])
    email = case.body.get("email") if isinstance(case.body, dict) else None
    # A negative case's email may be the invalid part: replacing it would send a valid request.
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if isinstance(email, str) and "@" in email and not negative:
        case.body["email"] = mostly_real(email, rows["emails"])


# Refusals of schema-valid input that no schema can express, by status, field and message:
# they depend on the database (an email another lead has, a user id that names no one, an
# Idempotency-Key already used for another request, a grade no band has), on the clock (an
# event from the future) or on who asks (only managers reassign or force a conversion; editing
# moves a lead's status only between new and contacted).
BUSINESS_RULES = [
    (400, "email", "Another lead has this email."),
    (400, "email", "You cannot change this field."),
    (400, "assigned_to", "You cannot change this field."),
    (400, "assigned_to", "Invalid pk "),
    (400, "user", "Invalid pk "),
    (400, "lead_status", "A lead goes from "),
    (400, "force", FORCE_REFUSED),
    (400, "grade", NOT_A_GRADE),
    (400, "occurred_at", "Must not be in the future."),
    (422, "detail", "This Idempotency-Key was already used with a different request."),
]


def refused_by_business_rule(response) -> bool:
    try:
        errors = response.json()
    except ValueError:
        return False
    if not isinstance(errors, dict) or not errors:
        return False
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            if not any(
                (status, name) == (response.status_code, field) and message.startswith(prefix)
                for status, name, prefix in BUSINESS_RULES
            ):
                return False
    return True


def positive_data_acceptance_but_business_rules(ctx, response, case):
    """Schemathesis's positive_data_acceptance, except for the refusals above: any other
    refusal of schema-valid input still fails."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if refused_by_business_rule(response):
            return None
        raise


def call_and_validate(case, headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_acceptance_but_business_rules],
    )


def token_for(user) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@sales_api.parametrize()
@fuzzing
def test_rep_api_conforms_to_schema(case, in_process, rows, rep):
    aim_at_rows(case, rows)
    call_and_validate(case, token_for(rep))


@sales_api.parametrize()
@fuzzing
def test_manager_api_conforms_to_schema(case, in_process, rows, manager):
    aim_at_rows(case, rows)
    call_and_validate(case, token_for(manager))


@capture_api.parametrize()
@fuzzing
def test_capture_api_conforms_to_schema(case, in_process, rows, capture_key):
    aim_at_rows(case, rows)
    call_and_validate(case, {"Authorization": f"Api-Key {capture_key}"})


# What the fuzzer found, pinned as plain tests.


def test_a_time_with_a_large_utc_offset_filters_leads(rep_client, rep):
    LeadFactory(assigned_to=rep)
    # RFC 3339 allows this offset; PostgreSQL refused it in a query (500).
    response = rep_client.get("/api/v1/leads/", {"created_before": "0558-04-02T08:26:20-20:45"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_value_of_the_wrong_json_type_is_refused(rep_client, rep):
    lead = LeadFactory(assigned_to=rep)

    response = rep_client.post(
        f"/api/v1/leads/{lead.pk}/activities/", {"type": "call", "description": 0}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"description": ["Must be text."]}
    assert not lead.activities.filter(type="call").exists()


def test_a_page_size_that_is_not_a_whole_number_is_refused(rep_client):
    response = rep_client.get("/api/v1/leads/", {"page_size": "null"})

    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("path", ["leads/0.5/", "leads/0.5/score/", "leads/0.5/convert/"])
def test_an_id_that_is_not_a_uuid_answers_the_apis_404(rep_client, path):
    method = rep_client.post if path.endswith("convert/") else rep_client.get

    response = method(f"/api/v1/{path}", {}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_the_schema_lists_the_errors_drf_gives(api_client):
    schema = api_client.get(SCHEMA_URL, HTTP_ACCEPT="application/json").json()
    lead = schema["paths"]["/api/v1/leads/{id}/"]

    assert set(lead["get"]["responses"]) == {"200", "401", "403", "404"}
    assert set(lead["patch"]["responses"]) == {"200", "400", "401", "403", "404"}
    error = lead["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
