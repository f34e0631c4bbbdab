"""Reps qualify leads with BANT and convert qualified ones into customers, all or nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from conversion.models import Company, Contact, Deal
from leads.models import LeadStatus, Task
from leads.services import lead_assign
from scoring.models import ScoringSettings
from scoring.services import lead_score
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

YES = {"has_budget": True, "has_authority": True, "has_need": True, "has_timeline": True}


def owned_lead(rep, **fields):
    lead = LeadFactory(**fields)
    lead_assign(lead=lead, to=rep)
    lead.refresh_from_db()
    return lead


def qualify(client, lead, **answers):
    return client.post(f"/api/v1/leads/{lead.pk}/qualify/", {**YES, **answers}, format="json")


def convert(client, lead, **body):
    return client.post(f"/api/v1/leads/{lead.pk}/convert/", body, format="json")


def test_all_four_bant_answers_qualify_and_schedule_a_discovery_call(rep_client, rep):
    lead = owned_lead(rep)

    response = qualify(rep_client, lead, notes="Budget approved for Q1")

    assert response.status_code == 200
    body = response.json()
    assert body["qualified"] is True
    assert body["lead"]["lead_status"] == "qualified" and body["lead"]["qualified_at"]
    lead.refresh_from_db()
    assert lead.custom_fields["bant"]["has_budget"] is True
    assert lead.custom_fields["bant"]["notes"] == "Budget approved for Q1"
    activity = lead.activities.get(type="qualified")
    assert activity.description == "Qualified by BANT: Budget approved for Q1"
    assert activity.metadata["by"] == "bant" and activity.metadata["has_budget"] is True
    call = Task.objects.get(lead=lead, title="Schedule discovery call")
    assert call.priority == "high" and call.owner == rep
    assert timedelta(hours=23) < call.due_at - timezone.now() <= timedelta(hours=24)


def test_a_lead_qualified_by_score_keeps_its_one_discovery_call_after_bant(rep_client, rep):
    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": 15})
    lead = owned_lead(rep, title="VP Sales", company="", industry="")
    lead_score(lead_id=lead.pk)

    response = qualify(rep_client, lead)

    assert response.status_code == 200
    assert lead.activities.filter(type="qualified").count() == 2  # score, then BANT
    call = Task.objects.get(lead=lead, title="Schedule discovery call")
    assert call.owner == rep and call.completed_at is None


def test_anything_less_disqualifies_and_closes_open_tasks(rep_client, rep):
    lead = owned_lead(rep, qualified=True, lead_status=LeadStatus.QUALIFIED)

    response = qualify(rep_client, lead, has_timeline=False)

    assert response.status_code == 200
    assert response.json()["qualified"] is False
    lead.refresh_from_db()
    assert (lead.qualified, lead.qualified_at, lead.lead_status) == (False, None, "unqualified")
    assert lead.activities.filter(type="disqualified").exists()
    assert not Task.objects.filter(lead=lead, completed_at__isnull=True).exists()


def test_bant_needs_all_four_answers(rep_client, rep):
    lead = owned_lead(rep)

    response = rep_client.post(
        f"/api/v1/leads/{lead.pk}/qualify/", {"has_budget": True}, format="json"
    )

    assert response.status_code == 400
    assert {"has_authority", "has_need", "has_timeline"} <= set(response.json())


def test_a_patch_of_custom_fields_keeps_the_bant_answers(rep_client, rep):
    lead = owned_lead(rep)
    qualify(rep_client, lead)

    rep_client.patch(f"/api/v1/leads/{lead.pk}/", {"custom_fields": {"plan": "pro"}}, format="json")

    lead.refresh_from_db()
    assert lead.custom_fields["plan"] == "pro" and "bant" in lead.custom_fields


def test_conversion_creates_contact_company_and_deal(rep_client, rep):
    lead = owned_lead(
        rep,
        first_name="Jane",
        last_name="Doe",
        email="jane@acme.com",
        company="Acme Corp",
        title="VP",
        phone="123",
        industry="Technology",
        employee_count=500,
    )
    qualify(rep_client, lead)

    response = convert(rep_client, lead, amount="25000.00", close_date="2027-03-31")

    assert response.status_code == 201
    ids = response.json()
    contact = Contact.objects.get(pk=ids["contact_id"])
    company = Company.objects.get(pk=ids["company_id"])
    deal = Deal.objects.get(pk=ids["opportunity_id"])
    assert (contact.email, contact.first_name, contact.company, contact.owner) == (
        "jane@acme.com",
        "Jane",
        company,
        rep,
    )
    assert (company.name, company.domain, company.employee_count) == ("Acme Corp", "acme.com", 500)
    assert (deal.name, deal.stage, deal.owner, str(deal.amount)) == (
        "Acme Corp - Opportunity",
        "qualification",
        rep,
        "25000.00",
    )
    lead.refresh_from_db()
    assert lead.converted and lead.converted_at and lead.contact == contact
    assert lead.lead_status == "converted"
    assert lead.activities.filter(type="converted").exists()
    assert not Task.objects.filter(lead=lead, completed_at__isnull=True).exists()


def test_two_leads_from_one_company_end_at_one_company(rep_client, rep):
    first = owned_lead(rep, email="a@acme.com", company="Acme Corp")
    second = owned_lead(rep, email="b@acme.com", company="  acme corp ")
    third = owned_lead(rep, email="c@acme.com", company="ACME Corporation")  # same domain
    for lead in (first, second, third):
        qualify(rep_client, lead)
        assert convert(rep_client, lead).status_code == 201

    assert Company.objects.count() == 1
    assert Deal.objects.count() == 3


def test_free_mail_domains_do_not_merge_companies(rep_client, rep):
    for email, company in (("a@gmail.com", "Alpha"), ("b@gmail.com", "Beta")):
        lead = owned_lead(rep, email=email, company=company)
        qualify(rep_client, lead)
        convert(rep_client, lead)

    assert sorted(Company.objects.values_list("name", flat=True)) == ["Alpha", "Beta"]
    assert set(Company.objects.values_list("domain", flat=True)) == {""}


def test_an_existing_contact_is_reused_and_no_company_without_one(rep_client, rep):
    Contact.objects.create(email="solo@x.com", first_name="Old")
    lead = owned_lead(rep, email="solo@x.com", company="", last_name="Solo")
    qualify(rep_client, lead)

    response = convert(rep_client, lead, create_opportunity=True)

    assert response.status_code == 201
    assert response.json()["company_id"] is None
    assert Contact.objects.count() == 1
    assert Deal.objects.get().name == "Solo - Opportunity"


def test_without_an_opportunity_no_deal_is_made(rep_client, rep):
    lead = owned_lead(rep)
    qualify(rep_client, lead)

    response = convert(rep_client, lead, create_opportunity=False)

    assert response.json()["opportunity_id"] is None
    assert Deal.objects.count() == 0


def test_only_qualified_leads_convert_unless_a_manager_forces_it(rep_client, rep, manager_client):
    lead = owned_lead(rep)

    refused = convert(rep_client, lead)
    rep_forcing = convert(rep_client, lead, force=True)

    assert refused.status_code == 409 and "qualif" in refused.json()["detail"]
    assert rep_forcing.status_code == 400 and list(rep_forcing.json()) == ["force"]
    assert Contact.objects.count() == 0
    assert convert(manager_client, lead, force=True).status_code == 201


def test_converting_twice_answers_409_and_creates_nothing(rep_client, rep):
    lead = owned_lead(rep)
    qualify(rep_client, lead)
    convert(rep_client, lead)

    again = convert(rep_client, lead)

    assert again.status_code == 409
    assert "already converted" in again.json()["detail"]
    assert (Contact.objects.count(), Company.objects.count(), Deal.objects.count()) == (1, 1, 1)
    assert qualify(rep_client, lead).status_code == 409


def test_a_failure_half_way_leaves_nothing_behind(rep_client, rep):
    lead = owned_lead(rep, company="Acme")
    qualify(rep_client, lead)

    with (
        mock.patch(
            "conversion.services.Deal.objects.create", side_effect=RuntimeError("disk full")
        ),
        pytest.raises(RuntimeError),
    ):
        convert(rep_client, lead)

    assert (Contact.objects.count(), Company.objects.count(), Deal.objects.count()) == (0, 0, 0)
    lead.refresh_from_db()
    assert not lead.converted and lead.lead_status == "qualified"


def test_another_reps_lead_cannot_be_qualified_or_converted(rep_client, other_rep):
    lead = owned_lead(other_rep, qualified=True)

    assert qualify(rep_client, lead).status_code == 404
    assert convert(rep_client, lead).status_code == 404


def test_customers_are_listed_to_their_owners(rep_client, rep, other_rep, manager_client):
    mine = owned_lead(rep, email="m@mine.com", company="Mine")
    theirs = owned_lead(other_rep, email="t@theirs.com", company="Theirs")
    from conversion.services import lead_convert

    for lead, owner in ((mine, rep), (theirs, other_rep)):
        lead.qualified = True
        lead.save()
        lead_convert(lead=lead, by=owner)

    for path in ("contacts", "companies", "deals"):
        assert rep_client.get(f"/api/v1/{path}/").json()["count"] == 1
        assert manager_client.get(f"/api/v1/{path}/").json()["count"] == 2
