"""Password guessing is cut short: 5 failures for a username (from anywhere) or 20 from one
address lock logins out for 15 minutes, on every login page; managers unlock in admin."""

import importlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crm.models import Role
from crm.services import user_upsert

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/", "/api-auth/login/"]
PASSWORD = "pw-ann-secret-123"


@pytest.fixture
def ann(db):
    user, _ = user_upsert(username="ann", role=Role.REP, password=PASSWORD)
    return user


@pytest.fixture
def boss(db):
    user, _ = user_upsert(username="boss", role=Role.MANAGER, password=PASSWORD)
    return user


def log_in(path: str, username: str, password: str, address: str = "10.0.0.1", **headers):
    client = Client()
    response = client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )
    signed_in = "_auth_user_id" in client.session
    return response, signed_in


def fail(path: str, username: str, times: int, address: str = "10.0.0.1", **headers) -> None:
    for _ in range(times):
        response, signed_in = log_in(path, username, "wrong-password", address, **headers)
        assert not signed_in and response.status_code in (200, 429)


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(path, boss):
    for attempt in range(5):
        # From a different address each time: the username's count is what stops them.
        fail(path, "boss", 1, address=f"10.0.1.{attempt}")

    response, signed_in = log_in(path, "boss", PASSWORD, address="10.0.2.1")

    assert response.status_code == 429
    assert not signed_in
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "15 minutes" in page
    # The page is served under the strict Content-Security-Policy: nothing inline.
    assert "style=" not in page and "<style" not in page
    assert page.count("<script") == page.count("<script src=")


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_four_wrong_passwords_still_let_the_right_one_in(path, boss):
    fail(path, "boss", 4)

    response, signed_in = log_in(path, "boss", PASSWORD)

    assert signed_in and response.status_code == 302


def test_twenty_failures_from_one_address_lock_that_address_out(ann):
    for number in range(20):
        fail("/accounts/login/", f"guess{number}", 1, address="10.0.3.3")

    response, signed_in = log_in("/accounts/login/", "ann", PASSWORD, address="10.0.3.3")
    assert response.status_code == 429 and not signed_in

    # Ann herself, from her own address, is not locked out by someone else's guessing.
    response, signed_in = log_in("/accounts/login/", "ann", PASSWORD, address="10.0.4.4")
    assert signed_in


def test_nineteen_failures_from_one_address_do_not_lock_it(ann):
    for number in range(19):
        fail("/accounts/login/", f"guess{number}", 1, address="10.0.3.3")

    _, signed_in = log_in("/accounts/login/", "ann", PASSWORD, address="10.0.3.3")

    assert signed_in


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(ann):
    for number in range(20):
        fail(
            "/accounts/login/",
            f"guess{number}",
            1,
            address="10.0.5.5",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}",
        )

    response, signed_in = log_in(
        "/accounts/login/", "ann", PASSWORD, address="10.0.5.5", HTTP_X_FORWARDED_FOR="192.0.2.99"
    )

    assert response.status_code == 429 and not signed_in


def test_behind_a_proxy_the_address_it_forwards_is_the_one_counted(ann, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.6.6"
    for number in range(20):
        fail(
            "/accounts/login/",
            f"guess{number}",
            1,
            address=proxy,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )

    locked, signed_in = log_in(
        "/accounts/login/", "ann", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 429 and not signed_in

    # Another client behind the same proxy signs in.
    _, signed_in = log_in(
        "/accounts/login/", "ann", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert signed_in


def test_the_lockout_ends_after_fifteen_minutes(boss):
    from axes.models import AccessAttempt

    fail("/accounts/login/", "boss", 5)
    assert log_in("/accounts/login/", "boss", PASSWORD)[0].status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert log_in("/accounts/login/", "boss", PASSWORD)[0].status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    _, signed_in = log_in("/accounts/login/", "boss", PASSWORD)
    assert signed_in


def test_a_manager_sees_the_lockout_in_admin_and_unlocks_it(admin_client, ann):
    from axes.models import AccessAttempt

    fail("/accounts/login/", "ann", 5, address="10.0.7.7")
    assert log_in("/accounts/login/", "ann", PASSWORD)[0].status_code == 429

    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "ann" in listing.content.decode()
    assert admin_client.get("/admin/axes/accesslog/").status_code == 200

    attempts = list(AccessAttempt.objects.filter(username="ann").values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="ann").exists()

    _, signed_in = log_in("/accounts/login/", "ann", PASSWORD)
    assert signed_in


def test_a_managers_group_made_before_lockouts_existed_gets_to_unlock(maria):
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    from crm.services import MANAGERS_GROUP

    group = Group.objects.get(name=MANAGERS_GROUP)
    axes = Permission.objects.filter(content_type__app_label="axes")
    group.permissions.remove(*axes)

    importlib.import_module("crm.migrations.0005_managers_unlock_logins").grant(apps, None)

    granted = set(
        group.permissions.filter(content_type__app_label="axes").values_list("codename", flat=True)
    )
    assert {"view_accessattempt", "delete_accessattempt", "view_accesslog"} <= granted
