"""Escalation writes the lead's rows through leads' services, and tells managers what the
new owner is told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assignment.services import leads_escalate_overdue
from crm.models import Notification
from leads.models import ActivityType, Lead
from leads.services import lead_assign, lead_email_context, lead_escalation_record
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return UserFactory(username="ann", first_name="Ann", last_name="Lee")


def overdue_lead(rep, **fields) -> Lead:
    lead = LeadFactory(**fields)
    lead_assign(lead=lead, to=rep, now=timezone.now() - timedelta(hours=30))
    lead.refresh_from_db()
    return lead


def test_an_escalation_is_recorded_on_the_timeline_and_marks_the_lead(ann):
    lead = overdue_lead(ann)
    now = timezone.now()

    lead_escalation_record(lead=lead, hours=30, now=now)

    lead.refresh_from_db()
    assert lead.response_escalated_at == now
    activity = lead.activities.get(type=ActivityType.ESCALATED)
    assert activity.description == "No response from Ann Lee in 30 hours; managers told."
    assert activity.metadata == {"owner": ann.pk, "hours": 30}
    assert activity.created_at == now


def test_an_unassigned_lead_cannot_be_escalated():
    lead = LeadFactory()

    with pytest.raises(ValueError):
        lead_escalation_record(lead=lead, hours=30, now=timezone.now())

    assert not lead.activities.exists()


def test_a_lead_flagged_converted_is_not_escalated(ann):
    # Closed by its flag though its status was never moved: nothing is owed on it.
    overdue_lead(ann, converted=True)

    assert leads_escalate_overdue() == 0


def test_managers_are_told_what_the_new_owner_is_told(ann, django_capture_on_commit_callbacks):
    boss = ManagerFactory(username="boss")
    bob = UserFactory(username="bob")
    lead = overdue_lead(ann, first_name="Jane", last_name="Doe", company="Acme", score=80)

    assert leads_escalate_overdue() == 1

    lead.refresh_from_db()
    assert lead.assigned_to == bob
    told = Notification.objects.get(recipient=boss)
    assigned = Notification.objects.get(recipient=bob)
    assert told.template == "assignment/email/response_overdue"
    assert told.context == assigned.context == lead_email_context(lead)
    assert told.context["lead_name"] == "Jane Doe"
