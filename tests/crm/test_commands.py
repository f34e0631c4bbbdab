from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from crm.models import Role, User
from crm.services import MANAGERS_GROUP
from leads.models import CaptureForm, CaptureKey, Lead, LeadActivity

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_capture_key_prints_a_working_key_alone_on_the_last_line():
    output = run("create_capture_key", "www.example.com")
    key = output.strip().splitlines()[-1]

    stored = CaptureKey.objects.get(name="www.example.com")
    secret = key.split(".", 1)[1]
    assert stored.hashed_key.startswith("sha512$$")
    assert secret not in stored.hashed_key and secret not in stored.id  # only a hash is kept
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.post("/api/v1/capture/", {"email": "a@x.com"}, format="json").status_code == 201


def test_add_user_creates_a_rep_who_can_sign_in():
    run("add_user", "ann", "--role", "rep", "--email", "ann@crm.test", "--password", "s3cret-pass!")

    ann = User.objects.get(username="ann")
    assert (ann.role, ann.email, ann.is_staff) == (Role.REP, "ann@crm.test", False)
    assert ann.check_password("s3cret-pass!")


def test_add_user_makes_managers_staff_with_rule_permissions_and_updates_in_place():
    run("add_user", "ann", "--role", "rep")
    run("add_user", "ann", "--role", "manager")

    ann = User.objects.get(username="ann")
    assert ann.role == Role.MANAGER and ann.is_staff
    assert ann.groups.filter(name=MANAGERS_GROUP).exists()
    assert ann.has_perm("scoring.change_scoringrule")
    assert ann.has_perm("assignment.add_assignmentrule")
    assert not ann.has_perm("crm.delete_user")
    assert not ann.has_usable_password()

    run("add_user", "ann", "--role", "rep")
    ann = User.objects.get(username="ann")
    assert not ann.is_staff and not ann.groups.exists()


def test_add_user_refuses_a_bad_role_or_email():
    with pytest.raises(CommandError):
        call_command("add_user", "ann", "--role", "admin")
    with pytest.raises(CommandError):
        call_command("add_user", "ann", "--role", "rep", "--email", "nope")
    assert not User.objects.filter(username="ann").exists()


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
        ("ann-crm.test", "too similar"),
    ],
)
def test_add_user_refuses_a_weak_password(password, why):
    with pytest.raises(CommandError, match=why):
        call_command(
            "add_user", "ann", "--role", "rep", "--email", "ann@crm.test", "--password", password
        )

    assert not User.objects.filter(username="ann").exists()


def test_add_user_refuses_a_weak_password_for_an_existing_user_and_keeps_the_old_one():
    run("add_user", "ann", "--role", "rep", "--password", "s3cret-pass!")

    with pytest.raises(CommandError, match="too short"):
        call_command("add_user", "ann", "--role", "manager", "--password", "abc")

    ann = User.objects.get(username="ann")
    assert ann.role == Role.REP and ann.check_password("s3cret-pass!")


def test_drf_create_token_works_for_a_rep():
    run("add_user", "ann", "--role", "rep")
    token = run("drf_create_token", "ann").split()[2]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/leads/").status_code == 200


def test_seed_demo_loads_once():
    output = run("seed_demo", "--leads", "120", "--if-empty", "--allow-production")

    assert "Loaded 120 demo leads" in output
    assert User.objects.filter(role=Role.REP).count() == 3
    assert User.objects.filter(role=Role.MANAGER).count() == 1
    assert CaptureForm.objects.count() == 1
    assert LeadActivity.objects.count() >= 120
    assert Lead.objects.filter(assigned_to__isnull=False).exists()

    assert "already loaded" in run("seed_demo", "--if-empty", "--allow-production")
    assert Lead.objects.count() == 120


def test_seed_demo_refuses_to_run_in_production():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not User.objects.filter(username="maria").exists()
