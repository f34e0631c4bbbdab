"""Nurture in admin: a lead's page says how it is nurtured, and enrollments are a record."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assignment.admin import EXIT_REASONS
from assignment.models import NurtureEnrollment, NurtureSequence
from crm.models import Role
from crm.services import user_upsert
from leads.selectors import NURTURE_ENDS
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria_admin(db) -> Client:
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)
    return client


@pytest.fixture
def sequence(db) -> NurtureSequence:
    return NurtureSequence.objects.create(name="Slow burn", conditions=[])


def enrolled(sequence: NurtureSequence, **lead_fields: object) -> NurtureEnrollment:
    lead = LeadFactory(**lead_fields)
    now = timezone.now()
    return NurtureEnrollment.objects.create(
        lead=lead, sequence=sequence, enrolled_at=now, next_position=2, next_step_at=now
    )


def test_the_lead_page_shows_its_sequence_and_next_step(maria_admin, sequence):
    enrollment = enrolled(sequence)
    NurtureEnrollment.objects.filter(pk=enrollment.pk).update(
        next_step_at=timezone.now() + timedelta(days=3)
    )
    left = LeadFactory()

    page = maria_admin.get(f"/admin/leads/lead/{enrollment.lead_id}/change/").content.decode()
    other = maria_admin.get(f"/admin/leads/lead/{left.pk}/change/").content.decode()

    assert "Slow burn: next step" in page
    assert "Not nurtured" in other and "Slow burn" not in other


def test_a_lead_that_may_no_longer_be_nurtured_shows_none(maria_admin, sequence):
    # As the API says: nurturing ends with the unsubscribe, before the exit is recorded.
    enrollment = enrolled(sequence, do_not_email=True)

    page = maria_admin.get(f"/admin/leads/lead/{enrollment.lead_id}/change/").content.decode()

    assert "Not nurtured" in page


def test_the_lead_list_reads_a_fixed_number_of_queries(maria_admin, sequence):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert maria_admin.get("/admin/leads/lead/").status_code == 200
        return len(queries)

    enrolled(sequence)
    one = list_queries()
    for _ in range(5):
        enrolled(sequence)

    assert list_queries() == one


def test_an_enrollment_is_read_only_in_admin(maria_admin, sequence):
    enrollment = enrolled(sequence, first_name="Jane", last_name="Roe")
    base = "/admin/assignment/nurtureenrollment"

    page = maria_admin.get(f"{base}/{enrollment.pk}/change/")
    changed = maria_admin.post(f"{base}/{enrollment.pk}/change/", {"next_position": "9"})
    deleted = maria_admin.post(f"{base}/{enrollment.pk}/delete/", {"post": "yes"})
    bulk = maria_admin.post(
        f"{base}/",
        {"action": "delete_selected", "_selected_action": [enrollment.pk], "post": "yes"},
    )

    assert page.status_code == 200
    assert "Jane Roe" in page.content.decode()
    assert 'name="next_position"' not in page.content.decode()
    assert maria_admin.get(f"{base}/add/").status_code == 403
    assert changed.status_code == 403 and deleted.status_code == 403
    assert bulk.status_code in (200, 302)
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2 and enrollment.exited_at is None


def test_an_enrollment_is_named_by_its_lead(sequence):
    enrollment = enrolled(sequence, first_name="Jane", last_name="Roe", email="jane@roe.com")

    assert str(enrollment) == "Jane Roe <jane@roe.com> in Slow burn"


def test_enrollments_are_found_by_the_leads_email_or_name(maria_admin, sequence):
    jane = enrolled(sequence, first_name="Jane", last_name="Roe", email="jane@roe.com")
    enrolled(sequence, first_name="Max", last_name="Mix", email="max@mix.com")

    by_name = maria_admin.get("/admin/assignment/nurtureenrollment/", {"q": "roe"})
    by_email = maria_admin.get("/admin/assignment/nurtureenrollment/", {"q": "jane@roe"})

    for response in (by_name, by_email):
        assert list(response.context["cl"].result_list) == [jane]


def test_an_exit_reason_reads_as_a_sentence(maria_admin, sequence):
    enrollment = enrolled(sequence)
    NurtureEnrollment.objects.filter(pk=enrollment.pk).update(
        exited_at=timezone.now(), exit_reason="assigned", next_step_at=None
    )

    listing = maria_admin.get("/admin/assignment/nurtureenrollment/").content.decode()
    filtered = maria_admin.get("/admin/assignment/nurtureenrollment/", {"exit_reason": "assigned"})

    assert "The lead was assigned to a rep" in listing
    assert list(filtered.context["cl"].result_list) == [enrollment]


def test_every_exit_reason_has_its_sentence():
    reasons = {reason for reason, _ in NURTURE_ENDS} | {"completed", "left"}

    assert reasons <= EXIT_REASONS.keys()
