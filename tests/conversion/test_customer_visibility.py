"""A rep sees a company they own, or one that holds a contact or deal they own."""

import pytest

from conversion.models import Company, Contact
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


def test_a_rep_converting_into_a_contact_someone_else_owns_can_open_it(
    rep_client, rep_page, rep, other_rep
):
    # Entered by hand earlier, under another rep: conversion reuses it by email.
    theirs = Contact.objects.create(email="cto@acme.example", owner=other_rep)
    their_deal = theirs.deals.create(name="Their renewal", owner=other_rep)

    result = converted(rep, "cto@acme.example", "Acme")

    assert result.contact == theirs
    lead_page = rep_page.get(f"/leads/{result.contact.leads.get().pk}/").content.decode()
    assert f"/contacts/{theirs.pk}/" in lead_page
    assert rep_client.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 200
    contact_page = rep_page.get(f"/contacts/{theirs.pk}/")
    assert contact_page.status_code == 200
    # The other rep's deal with them stays theirs.
    assert their_deal.name not in contact_page.content.decode()


def test_a_contact_with_nothing_of_the_reps_stays_hidden(rep_client, rep_page, other_rep):
    theirs = Contact.objects.create(email="cfo@globex.example", owner=other_rep)

    assert rep_client.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 404
    assert rep_page.get(f"/contacts/{theirs.pk}/").status_code == 404
