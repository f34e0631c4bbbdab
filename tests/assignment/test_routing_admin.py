"""Routing's admin names only people routing deals leads to."""

import pytest
from django.test import Client

from assignment.models import AssignmentRule, Team
from crm.models import Role
from crm.selectors import LEAD_ASSIGNEE_RULE
from crm.services import user_upsert
from tests.factories import ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria_admin():
    maria, _ = user_upsert(username="maria", role=Role.MANAGER)
    client = Client()
    client.force_login(maria)
    return client


@pytest.mark.parametrize(
    ("who", "saved"),
    [("rep", True), ("manager", False), ("inactive rep", False), ("no role", False)],
)
def test_a_rule_names_someone_who_may_receive_a_lead(maria_admin, who, saved):
    person = {
        "rep": lambda: UserFactory(username="ann"),
        "manager": lambda: ManagerFactory(username="boss"),
        "inactive rep": lambda: UserFactory(username="gone", is_active=False),
        "no role": lambda: UserFactory(username="clerk", role=""),
    }[who]()

    response = maria_admin.post(
        "/admin/assignment/assignmentrule/add/",
        {"name": "Big", "priority": "1", "conditions": "[]", "assignee": person.pk, "active": "on"},
    )

    assert AssignmentRule.objects.filter(assignee=person).exists() == saved
    assert response.status_code == (302 if saved else 200)


def test_a_team_offers_and_takes_only_those_who_may_receive_a_lead(maria_admin):
    ann = UserFactory(username="ann")
    boss = ManagerFactory(username="boss")

    page = maria_admin.get("/admin/assignment/team/add/").content.decode()
    refused = maria_admin.post(
        "/admin/assignment/team/add/", {"name": "Enterprise", "members": [ann.pk, boss.pk]}
    )
    taken = maria_admin.post(
        "/admin/assignment/team/add/", {"name": "Enterprise", "members": [ann.pk], "active": "on"}
    )

    assert f'value="{ann.pk}"' in page and f'value="{boss.pk}"' not in page
    assert refused.status_code == 200
    assert taken.status_code == 302
    assert list(Team.objects.get().members.all()) == [ann]


@pytest.mark.parametrize("who", ["manager", "inactive rep"])
def test_a_rule_naming_someone_who_may_not_receive_a_lead_says_the_rule(maria_admin, who):
    person = {
        "manager": lambda: ManagerFactory(username="boss"),
        "inactive rep": lambda: UserFactory(username="gone", is_active=False),
    }[who]()

    response = maria_admin.post(
        "/admin/assignment/assignmentrule/add/",
        {"name": "Big", "priority": "1", "conditions": "[]", "assignee": person.pk, "active": "on"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert LEAD_ASSIGNEE_RULE in page
    assert "Choose either one rep or a team." not in page


def test_a_rule_with_neither_rep_nor_team_still_asks_for_one(maria_admin):
    response = maria_admin.post(
        "/admin/assignment/assignmentrule/add/",
        {"name": "Big", "priority": "1", "conditions": "[]", "active": "on"},
    )

    assert response.status_code == 200
    assert "Choose either one rep or a team." in response.content.decode()


def test_a_rule_offers_only_those_who_may_receive_a_lead(maria_admin):
    ann = UserFactory(username="ann")
    boss = ManagerFactory(username="boss")

    page = maria_admin.get("/admin/assignment/assignmentrule/add/").content.decode()

    assert f'<option value="{ann.pk}">' in page and f'value="{boss.pk}"' not in page
