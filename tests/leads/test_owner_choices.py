"""Who may own a lead or a task, as admin and the pages offer it: the rule, plus the owner the
row has now, so that a form sent back unchanged changes nothing; refusals say the rule."""

import re

import pytest
from django.test import Client

from crm.models import Role, User
from crm.selectors import LEAD_ASSIGNEE_RULE, TASK_OWNER_RULE, task_owner_list
from crm.services import user_upsert
from leads.models import Lead, Task
from leads.services import lead_assign
from tests.factories import LeadFactory, ManagerFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria_admin(db) -> Client:
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)
    return client


def admin_form(lead: Lead, tasks: list[Task] = (), **changes: object) -> dict:
    """The lead's admin change form as the page sends it back, with `changes`."""
    data: dict[str, object] = {
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
        "tasks-TOTAL_FORMS": str(len(tasks)),
        "tasks-INITIAL_FORMS": str(len(tasks)),
    }
    for i, task in enumerate(tasks):
        data |= {
            f"tasks-{i}-id": str(task.pk),
            f"tasks-{i}-lead": str(lead.pk),
            f"tasks-{i}-title": task.title,
            f"tasks-{i}-owner": task.owner_id or "",
            f"tasks-{i}-priority": task.priority,
            f"tasks-{i}-due_at_0": task.due_at.strftime("%Y-%m-%d"),
            f"tasks-{i}-due_at_1": task.due_at.strftime("%H:%M:%S"),
        }
    return data | changes


def options(html: str, name: str) -> dict[str, str]:
    """The <option> values and labels of the select named `name`."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return {
        value: label.strip()
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1])
    }


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select[1])
    return chosen[1] if chosen else ""


@pytest.fixture
def people(db) -> dict[str, User]:
    return {
        "ann": UserFactory(username="ann", first_name="", last_name=""),
        "boss": ManagerFactory(username="boss", first_name="", last_name=""),
        "gone": UserFactory(username="gone", first_name="", last_name="", is_active=False),
        "root": UserFactory(username="root", role="", is_superuser=True),
        "clerk": UserFactory(username="clerk", role=""),
        "old boss": ManagerFactory(username="oldboss", is_active=False),
    }


# 1. Admin's lead change page.


def test_admin_offers_as_a_leads_owner_only_active_reps(maria_admin, people):
    lead = LeadFactory()

    page = maria_admin.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()

    offered = options(page, "assigned_to")
    assert set(offered) == {"", str(people["ann"].pk)}


@pytest.mark.parametrize("who", ["boss", "gone", "root", "clerk"])
def test_admin_refuses_as_a_leads_owner_anyone_but_an_active_rep(maria_admin, people, who):
    lead = LeadFactory()

    response = maria_admin.post(
        f"/admin/leads/lead/{lead.pk}/change/", admin_form(lead, assigned_to=people[who].pk)
    )

    assert response.status_code == 200  # the form again, saying why
    assert LEAD_ASSIGNEE_RULE in response.content.decode()
    lead.refresh_from_db()
    assert lead.assigned_to is None


def test_admin_keeps_an_owner_who_left_when_other_fields_change(maria_admin, people):
    casey = UserFactory(username="casey", first_name="", last_name="")
    lead = LeadFactory(first_name="Jane")
    lead_assign(lead=lead, to=casey)
    User.objects.filter(pk=casey.pk).update(is_active=False)
    lead.refresh_from_db()

    page = maria_admin.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    response = maria_admin.post(
        f"/admin/leads/lead/{lead.pk}/change/", admin_form(lead, first_name="Janet")
    )

    assert options(page, "assigned_to")[str(casey.pk)] == "casey (inactive)"
    assert selected(page, "assigned_to") == str(casey.pk)
    assert response.status_code == 302, response.content
    lead.refresh_from_db()
    assert (lead.first_name, lead.assigned_to) == ("Janet", casey)
    assert lead.activities.filter(type="assigned").count() == 1


def test_admin_reassigns_through_the_assign_service(maria_admin, people):
    lead = LeadFactory()

    response = maria_admin.post(
        f"/admin/leads/lead/{lead.pk}/change/", admin_form(lead, assigned_to=people["ann"].pk)
    )

    assert response.status_code == 302, response.content
    lead.refresh_from_db()
    assert lead.assigned_to == people["ann"] and lead.assigned_at is not None
    assert lead.activities.filter(type="assigned", created_by__username="maria").exists()


def test_a_task_is_owned_by_an_active_rep_or_manager(people):
    assert set(task_owner_list()) == {people["ann"], people["boss"], people["root"]}


def test_the_task_inline_offers_and_takes_only_task_owners(maria_admin, people):
    lead = LeadFactory(assigned_to=people["ann"])
    task = TaskFactory(lead=lead)

    page = maria_admin.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    refused = {
        who: maria_admin.post(
            f"/admin/leads/lead/{lead.pk}/change/",
            admin_form(lead, [task], **{"tasks-0-owner": people[who].pk}),
        )
        for who in ("gone", "clerk", "old boss")
    }
    taken = maria_admin.post(
        f"/admin/leads/lead/{lead.pk}/change/",
        admin_form(lead, [task], **{"tasks-0-owner": people["boss"].pk}),
    )

    maria = User.objects.get(username="maria")
    expected = {"", *(str(p.pk) for p in (people["ann"], people["boss"], people["root"], maria))}
    assert set(options(page, "tasks-0-owner")) == expected
    for response in refused.values():
        assert response.status_code == 200
        assert TASK_OWNER_RULE in response.content.decode()
    assert taken.status_code == 302, taken.content
    task.refresh_from_db()
    assert task.owner == people["boss"]


def test_the_task_inline_keeps_an_owner_who_left(maria_admin, people):
    lead = LeadFactory(assigned_to=people["ann"])
    task = TaskFactory(lead=lead, owner=people["old boss"])

    page = maria_admin.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    response = maria_admin.post(
        f"/admin/leads/lead/{lead.pk}/change/", admin_form(lead, [task], first_name="Janet")
    )

    assert selected(page, "tasks-0-owner") == str(people["old boss"].pk)
    assert response.status_code == 302, response.content
    task.refresh_from_db()
    assert task.owner == people["old boss"]


# 2. The pages' Owner dropdowns, for a lead whose owner was deactivated.


@pytest.fixture
def caseys_lead(db) -> tuple[Lead, User]:
    casey = UserFactory(username="casey", first_name="", last_name="")
    lead = LeadFactory()
    lead_assign(lead=lead, to=casey)
    User.objects.filter(pk=casey.pk).update(is_active=False)
    return lead, casey


def test_the_lead_page_shows_an_owner_who_left_as_the_selected_choice(manager_page, caseys_lead):
    lead, casey = caseys_lead

    page = manager_page.get(f"/leads/{lead.pk}/").content.decode()

    assert options(page, "user")[str(casey.pk)] == "casey (inactive)"
    assert selected(page, "user") == str(casey.pk)


def test_the_queue_shows_an_owner_who_left_as_the_selected_choice(manager_page, caseys_lead, rep):
    lead, casey = caseys_lead
    others = LeadFactory(assigned_to=rep)

    page = manager_page.get("/").content.decode()

    assert options(page, "user")  # the select exists
    row = re.search(rf'id="assign-{lead.pk}".*?</select>', page, re.S)
    assert row and f'<option value="{casey.pk}" selected>casey (inactive)</option>' in row[0]
    other = re.search(rf'id="assign-{others.pk}".*?</select>', page, re.S)
    assert other and f'value="{casey.pk}"' not in other[0]


@pytest.mark.parametrize("next_page", ["", "queue"])
def test_assigning_an_owner_who_left_unchanged_changes_nothing(
    manager_page, caseys_lead, next_page
):
    lead, casey = caseys_lead
    before = lead.activities.count()

    manager_page.post(f"/leads/{lead.pk}/assign/", {"user": str(casey.pk), "next": next_page})

    lead.refresh_from_db()
    assert lead.assigned_to == casey
    assert lead.activities.count() == before


def test_a_lead_cannot_be_given_to_someone_else_who_left(manager_page, caseys_lead):
    lead, casey = caseys_lead
    gone = UserFactory(username="gone", is_active=False)

    response = manager_page.post(f"/leads/{lead.pk}/assign/", {"user": str(gone.pk)}, follow=True)

    lead.refresh_from_db()
    assert lead.assigned_to == casey
    assert f"Not reassigned: {LEAD_ASSIGNEE_RULE}" in response.content.decode()


def test_an_owner_who_left_can_be_replaced_or_removed(manager_page, caseys_lead, rep):
    lead, _ = caseys_lead

    manager_page.post(f"/leads/{lead.pk}/assign/", {"user": str(rep.pk)})
    lead.refresh_from_db()
    assert lead.assigned_to == rep

    manager_page.post(f"/leads/{lead.pk}/assign/", {"user": ""})
    lead.refresh_from_db()
    assert lead.assigned_to is None


# 3. What a refusal says.


@pytest.mark.parametrize("who", ["boss", "gone", "root", "clerk"])
def test_a_refused_owner_is_refused_with_the_rule(manager_client, manager_page, people, who):
    lead = LeadFactory()
    person = people[who]

    assign = manager_client.post(
        f"/api/v1/leads/{lead.pk}/assign/", {"user": person.pk}, format="json"
    )
    patch = manager_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"assigned_to": person.pk}, format="json"
    )
    page = manager_page.post(f"/leads/{lead.pk}/assign/", {"user": str(person.pk)}, follow=True)

    assert (assign.status_code, patch.status_code) == (400, 400)
    assert assign.json()["user"] == [LEAD_ASSIGNEE_RULE]
    assert patch.json()["assigned_to"] == [LEAD_ASSIGNEE_RULE]
    assert f"Not reassigned: {LEAD_ASSIGNEE_RULE}" in page.content.decode()


def test_an_unknown_user_id_is_refused_as_unknown(manager_client):
    lead = LeadFactory()

    response = manager_client.post(
        f"/api/v1/leads/{lead.pk}/assign/", {"user": 999_999}, format="json"
    )

    assert response.status_code == 400
    assert "does not exist" in response.json()["user"][0]
