"""Each lead's owner, status and score history, whatever path changed them."""

import pytest

from leads.models import Lead, LeadChange, LeadStatus
from leads.services import lead_assign
from scoring.services import leads_rescore
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_assignment_a_status_change_and_a_rescore_each_leave_a_change():
    rep = UserFactory(username="ann")
    lead = LeadFactory(title="VP of Sales", employee_count=5000)

    lead_assign(lead=lead, to=rep)
    Lead.objects.filter(pk=lead.pk).update(lead_status=LeadStatus.CONTACTED)
    leads_rescore()  # set-based SQL: 15 (VP) + 15 (5,000 employees)

    changes = list(LeadChange.objects.filter(lead=lead).order_by("id"))
    assert [(c.owner_before, c.owner_after) for c in changes[:1]] == [(None, rep)]
    assert (changes[1].status_before, changes[1].status_after) == ("new", "contacted")
    assert (changes[2].score_before, changes[2].score_after) == (0, 30)
    assert len(changes) == 3
    assert all(change.changed_at for change in changes)


def test_an_update_that_changes_none_of_the_three_leaves_no_change():
    lead = LeadFactory()

    Lead.objects.filter(pk=lead.pk).update(title="CTO", company="Acme")
    Lead.objects.filter(pk=lead.pk).update(score=0)

    assert not LeadChange.objects.exists()


def test_managers_read_the_history_on_the_lead_in_admin(admin_client):
    rep = UserFactory(username="ann")
    lead = LeadFactory()
    lead_assign(lead=lead, to=rep)
    client = admin_client

    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    listing = client.get(f"/admin/leads/leadchange/?lead__id__exact={lead.pk}")

    assert "Owner, status and score history" in page
    assert "ann" in page.split("Owner, status and score history")[1]
    assert listing.status_code == 200 and "ann" in listing.content.decode()
