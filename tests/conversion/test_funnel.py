from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/funnel/"


@pytest.fixture
def funnel():
    now = timezone.now()
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    start = now - timedelta(days=10)

    def lead(
        source, status, qualified_h=None, converted_h=None, owner=None, response_h=None, **extra
    ):
        return LeadFactory(
            lead_source=source,
            lead_status=status,
            created_at=start,
            qualified=qualified_h is not None,
            qualified_at=start + timedelta(hours=qualified_h) if qualified_h is not None else None,
            converted=converted_h is not None,
            converted_at=start + timedelta(hours=converted_h) if converted_h is not None else None,
            assigned_to=owner,
            assigned_at=start if owner else None,
            first_response_at=start + timedelta(hours=response_h)
            if response_h is not None
            else None,
            **extra,
        )

    lead("webinar", "converted", qualified_h=10, converted_h=50, owner=ann, response_h=1)
    lead("webinar", "qualified", qualified_h=20, owner=ann, response_h=3)
    lead("webinar", "new", owner=bob, response_h=10)
    lead("website_form", "converted", qualified_h=30, converted_h=100, owner=bob, response_h=20)
    lead("website_form", "unqualified")
    old = LeadFactory(lead_source="webinar", lead_status="new")
    old.created_at = now - timedelta(days=400)
    old.save()
    return now


def test_managers_see_the_funnel(manager_client, funnel, django_assert_max_num_queries):
    since = (funnel - timedelta(days=30)).isoformat()

    with django_assert_max_num_queries(8):
        response = manager_client.get(URL, {"since": since})

    assert response.status_code == 200
    body = response.json()
    assert body["leads"] == 5
    assert body["leads_per_status"] == {
        "new": 1,
        "contacted": 0,
        "qualified": 1,
        "unqualified": 1,
        "converted": 2,
    }
    assert body["sources"] == [
        {"source": "webinar", "leads": 3, "converted": 1, "conversion_rate": 0.3333},
        {"source": "website_form", "leads": 2, "converted": 1, "conversion_rate": 0.5},
    ]
    assert body["median_hours_to_qualified"] == 20.0
    assert body["median_hours_to_converted"] == 75.0
    assert body["median_first_response_hours_per_rep"] == [
        {"rep": "ann", "median_hours": 2.0},
        {"rep": "bob", "median_hours": 15.0},
    ]


def test_the_funnel_filters_by_source(manager_client, funnel):
    body = manager_client.get(URL, {"source": "website_form"}).json()

    assert body["leads"] == 2
    assert body["median_hours_to_converted"] == 100.0


def test_reps_cannot_see_the_funnel(rep_client):
    assert rep_client.get(URL).status_code == 403


def test_bad_dates_answer_400(manager_client):
    response = manager_client.get(URL, {"since": "last year"})

    assert response.status_code == 400
    assert "since" in response.json()


def test_bad_filters_keep_their_error_codes(manager_client):
    """What failed stays readable by code, not only by message: DRF called each "invalid"."""
    response = manager_client.get(URL, {"since": "last year", "source": "x" * 51})

    assert response.status_code == 400
    assert response.json() == {
        "since": ["Enter a valid date/time."],
        "source": ["Ensure this value has at most 50 characters (it has 51)."],
    }
    assert {field: [e.code for e in errors] for field, errors in response.data.items()} == {
        "since": ["invalid"],
        "source": ["max_length"],
    }
