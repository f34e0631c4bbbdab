"""A rep sees a company they own, or one that holds a contact or deal they own."""

import pytest

from conversion.models import Company
from conversion.services import lead_convert
from leads.models import LeadStatus
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def converted(rep, email, company):
    lead = LeadFactory(
        assigned_to=rep,
        email=email,
        company=company,
        qualified=True,
        lead_status=LeadStatus.QUALIFIED,
    )
    return lead_convert(lead=lead, by=rep)


def test_a_rep_converting_into_another_reps_company_can_open_it(rep_client, rep, other_rep):
    first = converted(other_rep, "cto@acme.example", "Acme")
    second = converted(rep, "cfo@acme.example", "ACME ")

    assert second.company == first.company
    company_id = str(first.company.pk)
    assert rep_client.get(f"/api/v1/companies/{company_id}/").status_code == 200
    assert [row["id"] for row in rep_client.get("/api/v1/companies/").json()["results"]] == [
        company_id
    ]
    contact = rep_client.get(f"/api/v1/contacts/{second.contact.pk}/").json()
    assert contact["company"] == company_id


def test_a_company_with_nothing_of_the_reps_stays_hidden(rep_client, other_rep):
    theirs = converted(other_rep, "cto@globex.example", "Globex")

    assert rep_client.get(f"/api/v1/companies/{theirs.company.pk}/").status_code == 404
    assert rep_client.get("/api/v1/companies/").json()["count"] == 0


def test_a_company_holding_only_a_deal_of_the_reps_is_visible(rep_client, rep, other_rep):
    company = Company.objects.create(name="Initech", owner=other_rep)
    company.deals.create(name="Initech renewal", owner=rep)

    assert rep_client.get(f"/api/v1/companies/{company.pk}/").status_code == 200
