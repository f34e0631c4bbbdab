"""`/healthz` for load balancers: honest about the database and the broker, and cheap."""

from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.celery_worker import BROKER_URL, requires_broker

pytestmark = pytest.mark.django_db

# Nothing listens on port 1, so a connection there is refused at once. Redis is pinged with
# its own client; any other broker Celery takes goes through kombu.
CLOSED_BROKERS = ["redis://127.0.0.1:1/0", "amqp://guest@127.0.0.1:1//"]


@override_settings(CELERY_BROKER_URL="")
def test_healthz_answers_200_without_a_login_when_the_database_answers():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "not configured"},
        "failed": [],
    }
    assert "no-cache" in response["Cache-Control"]


@override_settings(CELERY_BROKER_URL="")
def test_healthz_answers_head_requests_from_probes():
    assert Client().head("/healthz").status_code == 200


@requires_broker
def test_healthz_pings_a_configured_broker():
    with override_settings(CELERY_BROKER_URL=BROKER_URL):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@override_settings(CELERY_BROKER_URL="")
def test_healthz_answers_503_naming_the_database_when_it_is_unreachable():
    refused = OperationalError("connection to server at 127.0.0.1, port 5432 failed")
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "failed", "broker": "not configured"},
        "failed": ["database"],
    }


@pytest.mark.parametrize("broker_url", CLOSED_BROKERS)
def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(broker_url):
    with override_settings(CELERY_BROKER_URL=broker_url):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "failed"},
        "failed": ["broker"],
    }


@override_settings(CELERY_BROKER_URL="")
def test_healthz_runs_one_select_and_never_touches_the_session(rep):
    client = Client()
    # A signed-in browser's cookie: reading the session would cost a query on django_session.
    client.force_login(rep)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert [query["sql"] for query in queries] == ["SELECT 1"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


@override_settings(
    CELERY_BROKER_URL="",
    DEBUG=False,
    ALLOWED_HOSTS=["crm.example.com"],
    SECURE_SSL_REDIRECT=True,
    SECURE_REDIRECT_EXEMPT=settings.SECURE_REDIRECT_EXEMPT,
)
def test_healthz_answers_plain_http_probes_but_still_checks_the_host():
    client = Client(HTTP_HOST="crm.example.com")

    assert client.get("/healthz").status_code == 200
    # Every other page still moves to HTTPS.
    page = client.get("/accounts/login/")
    assert page.status_code == 301
    assert page["Location"] == "https://crm.example.com/accounts/login/"
    assert Client(HTTP_HOST="evil.example").get("/healthz").status_code == 400
