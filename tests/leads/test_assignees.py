"""Who may receive a lead is one rule, and the API, the pages and admin all keep it."""

from typing import cast

import pytest
from django import forms
from django.test import Client

from crm.models import Role
from crm.selectors import lead_assignee_list
from crm.services import user_upsert
from leads.admin import AssignActionForm
from leads.forms import AssignForm
from leads.models import Lead
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db

CANDIDATES = {
    "active rep": lambda: UserFactory(username="ann"),
    "rep who is away": lambda: UserFactory(username="away", is_available=False),
    "inactive rep": lambda: UserFactory(username="gone", is_active=False),
    "manager": lambda: ManagerFactory(username="boss2"),
    "superuser": lambda: UserFactory(username="root", role="", is_superuser=True),
    "no role": lambda: UserFactory(username="clerk", role=""),
}


@pytest.fixture
def maria_admin(db):
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)
    return client


def owner_after(lead: Lead):
    lead.refresh_from_db()
    return lead.assigned_to


@pytest.mark.parametrize("who", list(CANDIDATES))
def test_api_pages_and_admin_agree_on_who_may_receive_a_lead(
    who, manager_client, manager_page, maria_admin
):
    candidate = CANDIDATES[who]()
    allowed = lead_assignee_list().filter(pk=candidate.pk).exists()
    leads = [LeadFactory() for _ in range(4)]

    patch = manager_client.patch(
        f"/api/v1/leads/{leads[0].pk}/", {"assigned_to": candidate.pk}, format="json"
    )
    assign = manager_client.post(
        f"/api/v1/leads/{leads[1].pk}/assign/", {"user": candidate.pk}, format="json"
    )
    manager_page.post(f"/leads/{leads[2].pk}/assign/", {"user": str(candidate.pk)})
    maria_admin.post(
        "/admin/leads/lead/",
        {"action": "assign_to_rep", "user": candidate.pk, "_selected_action": [str(leads[3].pk)]},
    )

    assert (patch.status_code, assign.status_code) == ((200, 200) if allowed else (400, 400))
    owners = [owner_after(lead) for lead in leads]
    assert owners == [candidate if allowed else None] * 4


def test_only_active_reps_may_receive_a_lead(db):
    # Routing deals leads to reps, the SLA and the dashboard measure reps: a lead's owner is a rep.
    people = {who: make() for who, make in CANDIDATES.items()}

    assert set(lead_assignee_list()) == {people["active rep"], people["rep who is away"]}


def test_the_page_and_admin_offer_exactly_those_people(db):
    for make in CANDIDATES.values():
        make()
    names = list(lead_assignee_list().values_list("username", flat=True))

    def offered(form: forms.Form) -> list[str]:
        field = cast(forms.ModelChoiceField, form.fields["user"])
        assert field.queryset is not None
        return [user.username for user in field.queryset]

    page, admin = offered(AssignForm()), offered(AssignActionForm())

    assert page == admin == names == ["ann", "away"]
