"""The shared definitions of people: managers, and who may receive a lead."""

import pytest

from crm.models import Role
from crm.selectors import lead_assignee_list, manager_active_list, manager_list, manager_pick
from tests.factories import ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_managers_are_the_sales_managers_and_the_superusers():
    boss = ManagerFactory(username="boss")
    root = UserFactory(username="root", role="", is_superuser=True)
    gone = ManagerFactory(username="gone", is_active=False)
    UserFactory(username="ann")

    assert set(manager_list()) == {boss, root, gone}
    assert set(manager_active_list()) == {boss, root}


def test_the_manager_picked_is_a_sales_manager_before_any_superuser():
    # A superuser who also holds the rep role sorts first by role name ("rep" > "manager");
    # an administrator is the last resort, whatever role their account carries.
    UserFactory(username="root-rep", role=Role.REP, is_superuser=True)
    UserFactory(username="root", role="", is_superuser=True)
    ManagerFactory(username="gone", is_active=False)
    boss = ManagerFactory(username="boss")
    ManagerFactory(username="later")

    assert manager_pick() == boss


def test_with_no_sales_manager_a_superuser_is_picked_and_with_nobody_none():
    assert manager_pick() is None

    root = UserFactory(username="root", role="", is_superuser=True)

    assert manager_pick() == root


def test_lead_assignees_are_active_reps_by_username():
    UserFactory(username="zed")
    UserFactory(username="amy", is_available=False)  # away: routing skips her, a manager may not
    UserFactory(username="gone", is_active=False)
    ManagerFactory(username="boss")

    assert list(lead_assignee_list().values_list("username", flat=True)) == ["amy", "zed"]
