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
from leads.models import CaptureKey, LeadStatus
from leads.services import Bant, lead_activity_log, lead_qualify

from ..factories import LeadFactory, TaskFactory

SCHEMA_URL = "/api/v1/schema/"
# Schemathesis calls the app as http://localhost/.
HOST = "localhost"

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

fuzzing = hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
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
    if isinstance(case.body, dict) and isinstance(case.body.get("email"), str):
        if "@" in case.body["email"]:
            case.body["email"] = mostly_real(case.body["email"], rows["emails"])


# Refusals of schema-valid input that no schema can express, by status, field and message:
# they depend on the database (an email another lead has, a user id that names no one, an
# Idempotency-Key already used for another request), on the clock (an event from the future)
# or on who asks (only managers reassign or force a conversion; editing moves a lead's status
# only between new and contacted).
BUSINESS_RULES = [
    (400, "email", "Another lead has this email."),
    (400, "assigned_to", "You cannot change this field."),
    (400, "assigned_to", "Invalid pk "),
    (400, "user", "Invalid pk "),
    (400, "lead_status", "A lead goes from "),
    (400, "force", FORCE_REFUSED),
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
