"""Managers run the sales process in admin, and nothing more."""

import pytest
from django.test import Client

from crm.models import User
from leads.models import Lead, LeadActivity
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_manager_cannot_grant_admin_rights(admin_client, maria):
    rep = UserFactory(username="riley")

    response = admin_client.post(
        f"/admin/crm/user/{rep.pk}/change/",
        {
            "username": "riley",
            "email": "r@x.com",
            "is_available": "on",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert not rep.is_superuser and not rep.is_staff


def test_a_manager_cannot_touch_a_superuser_or_set_passwords(admin_client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    rep = UserFactory(username="riley")

    assert (
        admin_client.post(f"/admin/crm/user/{root.pk}/change/", {"username": "root"}).status_code
        == 403
    )
    response = admin_client.post(
        f"/admin/crm/user/{rep.pk}/password/",
        {"password1": "n3w-Passw0rd!", "password2": "n3w-Passw0rd!"},
    )
    assert response.status_code == 403
    rep.refresh_from_db()
    assert rep.check_password("secret-pass-123")


def test_a_manager_can_mark_a_rep_away(admin_client):
    rep = UserFactory(username="riley")

    response = admin_client.post(
        f"/admin/crm/user/{rep.pk}/change/",
        {"username": "riley", "email": "r@x.com", "max_open_leads": "30"},
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.is_available is False and rep.max_open_leads == 30


def lead_form(lead: Lead, **changes) -> dict:
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        "title": lead.title,
        "industry": lead.industry,
        "employee_count": lead.employee_count or "",
        "annual_revenue": lead.annual_revenue or "",
        "lead_source": lead.lead_source,
        "lead_status": lead.lead_status,
        "assigned_to": lead.assigned_to_id or "",
        "custom_fields": "{}",
        "tasks-TOTAL_FORMS": "0",
        "tasks-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_admin_edits_go_through_the_timeline(admin_client, maria):
    lead = LeadFactory(first_name="Jane")
    rep = UserFactory(username="riley")

    response = admin_client.post(
        f"/admin/leads/lead/{lead.pk}/change/",
        lead_form(lead, first_name="Janet", email=" JANE@Example.com ", assigned_to=rep.pk),
    )

    assert response.status_code == 302, response.content
    lead.refresh_from_db()
    assert (lead.first_name, lead.email, lead.assigned_to) == ("Janet", "jane@example.com", rep)
    assert lead.assigned_at is not None
    types = set(lead.activities.values_list("type", flat=True))
    assert {"assigned", "updated"} <= types


def test_admin_refuses_status_moves_that_belong_to_workflows(admin_client):
    lead = LeadFactory(lead_status="new")

    response = admin_client.post(
        f"/admin/leads/lead/{lead.pk}/change/", lead_form(lead, lead_status="converted")
    )

    assert response.status_code == 200  # the form again, with the error
    assert b"by qualifying or converting it" in response.content
    lead.refresh_from_db()
    assert lead.lead_status == "new"


def test_admin_adds_a_lead_through_capture(admin_client):
    response = admin_client.post(
        "/admin/leads/lead/add/",
        {
            **lead_form(
                Lead(email="x"),
                email="Met@TradeShow.com",
                company="Acme",
                lead_source="trade_show",
                lead_status="new",
            )
        },
    )

    assert response.status_code == 302, response.content
    lead = Lead.objects.get(email="met@tradeshow.com")
    assert lead.lead_source == "trade_show"
    assert lead.activities.filter(type="captured", metadata__received_via="admin: maria").exists()


def test_the_timeline_is_read_only_in_admin(admin_client):
    activity = LeadActivity.objects.create(lead=LeadFactory(), type="note", description="x")

    assert admin_client.get(f"/admin/leads/leadactivity/{activity.pk}/change/").status_code == 200
    assert (
        admin_client.post(
            f"/admin/leads/leadactivity/{activity.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert LeadActivity.objects.filter(pk=activity.pk).exists()


def test_users_given_the_manager_role_in_admin_become_staff():
    root = User.objects.create_superuser("root", "root@x.com", "pw-root-1234")
    client = Client()
    client.force_login(root)
    rep = UserFactory(username="riley")

    response = client.post(
        f"/admin/crm/user/{rep.pk}/change/",
        {
            "username": "riley",
            "email": "r@x.com",
            "role": "manager",
            "is_active": "on",
            "is_available": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content
    rep.refresh_from_db()
    assert rep.is_staff and rep.groups.filter(name="Sales managers").exists()
