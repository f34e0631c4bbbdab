"""Capture is the hottest write: its statements are counted, so a change that adds one shows."""

import pytest

import leads.api.authentication as authentication
from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

CAPTURE = "/api/v1/capture/"


def capture(client, email):
    return client.post(CAPTURE, {"email": email, "first_name": "Ann"}, format="json")


@pytest.fixture
def warm_client(capture_client):
    """A client whose key this process has verified already, as on a busy server."""
    authentication._verified.clear()
    assert capture(capture_client, "warm@example.com").status_code == 201
    return capture_client


def test_a_new_email_is_one_insert_of_the_lead(warm_client, django_assert_num_queries):
    # The capture's savepoint and its release (the test runs in a transaction), the lead's
    # INSERT ... ON CONFLICT DO NOTHING, its activity and its outbox message.
    with django_assert_num_queries(5) as queries:
        assert capture(warm_client, "new@example.com").status_code == 201

    inserts = [q["sql"] for q in queries.captured_queries if 'leads_lead"' in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert Lead.objects.filter(email="new@example.com").exists()


def test_a_known_email_is_locked_and_filled_in(warm_client, django_assert_num_queries):
    LeadFactory(email="known@example.com", first_name="")

    # The insert that finds the email taken, the row lock, the fill-in, activity and outbox.
    with django_assert_num_queries(7):
        assert capture(warm_client, "known@example.com").status_code == 200

    assert Lead.objects.get(email="known@example.com").first_name == "Ann"
