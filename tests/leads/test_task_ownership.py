"""Open tasks follow their lead to whoever owns it, and only those who may see the lead
reach its tasks."""

import pytest

from leads.models import LeadActivity, Task
from leads.services import lead_assign
from tests.factories import LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_of_ann(rep):
    lead = LeadFactory()
    lead_assign(lead=lead, to=rep)
    return lead


def open_owners(lead):
    return set(
        Task.objects.filter(lead=lead, completed_at__isnull=True).values_list("owner", flat=True)
    )


def test_unassigning_takes_the_open_tasks_from_the_previous_rep(manager_client, rep, lead_of_ann):
    assert open_owners(lead_of_ann) == {rep.pk}

    response = manager_client.patch(
        f"/api/v1/leads/{lead_of_ann.pk}/", {"assigned_to": None}, format="json"
    )

    assert response.status_code == 200
    assert open_owners(lead_of_ann) == {None}


def test_the_next_owner_gets_the_open_tasks_after_an_unassignment(
    manager_client, lead_of_ann, other_rep
):
    tasks_before = Task.objects.filter(lead=lead_of_ann).count()
    manager_client.patch(f"/api/v1/leads/{lead_of_ann.pk}/", {"assigned_to": None}, format="json")
    manager_client.post(
        f"/api/v1/leads/{lead_of_ann.pk}/assign/", {"user": other_rep.pk}, format="json"
    )

    assert open_owners(lead_of_ann) == {other_rep.pk}
    # The follow-ups were made for the first owner; the next one takes them over, not twice.
    assert Task.objects.filter(lead=lead_of_ann).count() == tasks_before


def test_the_previous_rep_can_no_longer_see_or_complete_the_tasks(
    manager_client, rep_client, rep_page, lead_of_ann, other_rep
):
    task = Task.objects.filter(lead=lead_of_ann).first()
    manager_client.patch(f"/api/v1/leads/{lead_of_ann.pk}/", {"assigned_to": None}, format="json")
    manager_client.post(
        f"/api/v1/leads/{lead_of_ann.pk}/assign/", {"user": other_rep.pk}, format="json"
    )

    assert rep_client.get("/api/v1/tasks/").json()["count"] == 0
    assert rep_client.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert rep_client.post(f"/api/v1/tasks/{task.pk}/complete/").status_code == 404
    assert rep_page.post(f"/tasks/{task.pk}/complete/").status_code == 404
    assert task.title not in rep_page.get("/tasks/").content.decode()
    task.refresh_from_db()
    assert task.completed_at is None
    assert not LeadActivity.objects.filter(lead=lead_of_ann, type="note").exists()


def test_a_task_left_with_a_rep_on_a_lead_they_lost_is_out_of_their_reach(
    rep_client, rep, other_rep
):
    # Rows from before tasks followed every change of owner.
    lead = LeadFactory(assigned_to=other_rep)
    task = TaskFactory(lead=lead, owner=rep)

    assert rep_client.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert rep_client.post(f"/api/v1/tasks/{task.pk}/complete/").status_code == 404


def test_a_managers_own_task_stays_theirs(manager, lead_of_ann, other_rep):
    mine = TaskFactory(lead=lead_of_ann, owner=manager, title="Check pricing")

    lead_assign(lead=lead_of_ann, to=None)
    lead_assign(lead=lead_of_ann, to=other_rep)

    mine.refresh_from_db()
    assert mine.owner == manager


def test_tasks_left_behind_earlier_go_to_the_leads_owner(rep, other_rep, manager):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("leads.migrations.0018_open_tasks_follow_owner")
    moved = LeadFactory(assigned_to=other_rep)
    left_behind = TaskFactory(lead=moved, owner=rep)
    unassigned = LeadFactory(assigned_to=None)
    on_unassigned = TaskFactory(lead=unassigned, owner=rep)
    ownerless = TaskFactory(lead=moved, owner=None)
    managers = TaskFactory(lead=moved, owner=manager)
    in_place = TaskFactory(lead=LeadFactory(assigned_to=rep), owner=rep)

    migration.open_tasks_follow_owner(apps, None)

    owners = {
        task: Task.objects.get(pk=task.pk).owner
        for task in [left_behind, on_unassigned, ownerless, managers, in_place]
    }
    assert owners == {
        left_behind: other_rep,
        on_unassigned: None,
        ownerless: other_rep,
        managers: manager,
        in_place: rep,
    }


def test_a_discovery_call_of_a_lead_nobody_owns_goes_to_its_first_owner(manager, rep):
    from leads.services import Bant, lead_qualify

    lead = LeadFactory()
    lead_qualify(lead=lead, bant=Bant(True, True, True, True), by=manager)
    assert open_owners(lead) == {None}

    lead_assign(lead=lead, to=rep)

    call = Task.objects.get(lead=lead, title="Schedule discovery call")
    assert call.owner == rep
