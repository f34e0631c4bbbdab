"""A capture key is trusted briefly per process once verified; an outsider holds it, so the cache
must not let a revoked, deleted or expired key, or another key, through for longer than that."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

import leads.api.authentication as authentication
from leads.models import CaptureKey, Lead

pytestmark = pytest.mark.django_db

CAPTURE = "/api/v1/capture/"
WINDOW = 5.0


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """A clock the test moves; every test starts with an empty cache."""
    now = [1000.0]
    monkeypatch.setattr(authentication, "clock", lambda: now[0])
    authentication._verified.clear()
    with override_settings(CAPTURE_KEY_CACHE_SECONDS=WINDOW):
        yield now
    authentication._verified.clear()


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def capture(client: APIClient, email: str = "a@example.com") -> int:
    return client.post(CAPTURE, {"email": email}, format="json").status_code


def test_a_verified_key_is_not_read_again_within_the_window(
    capture_client, capture_key, django_assert_num_queries
):
    assert capture(capture_client) == 201
    with django_assert_num_queries(0):
        assert authentication.capture_key_verified(capture_key) is not None


def test_a_key_revoked_elsewhere_stops_working_within_the_window(capture_client, clock):
    assert capture(capture_client, "first@example.com") == 201
    # Another process revokes it: no signal reaches this one.
    CaptureKey.objects.update(revoked=True)

    clock[0] += WINDOW - 0.1
    assert capture(capture_client, "second@example.com") == 201  # the documented window
    clock[0] += 0.2
    assert capture(capture_client, "third@example.com") == 401
    assert not Lead.objects.filter(email="third@example.com").exists()


def test_a_key_deleted_elsewhere_stops_working_within_the_window(capture_client, clock):
    assert capture(capture_client) == 201
    CaptureKey.objects.all()._raw_delete(CaptureKey.objects.db)  # as another process would

    clock[0] += WINDOW + 0.1
    assert capture(capture_client, "b@example.com") == 401


def test_a_key_revoked_in_this_process_stops_working_at_once(capture_client):
    assert capture(capture_client) == 201
    key = CaptureKey.objects.get()
    key.revoked = True
    key.save()

    assert capture(capture_client, "b@example.com") == 401


def test_an_expired_key_is_refused_at_once(capture_client):
    assert capture(capture_client) == 201
    # A key expires with time alone, nothing writes to it: the cached row's date is checked.
    (_, cached), *_ = authentication._verified.values()
    cached.expiry_date = timezone.now() - timedelta(seconds=1)

    assert capture(capture_client, "b@example.com") == 401


def test_another_key_with_the_same_prefix_is_checked_on_its_own(capture_client, capture_key):
    assert capture(capture_client) == 201
    prefix = capture_key.split(".")[0]

    assert capture(client_for(f"{prefix}.wrongsecret"), "b@example.com") == 401
    assert capture(client_for(prefix), "c@example.com") == 401
    assert Lead.objects.count() == 1


def test_a_cached_capture_key_opens_nothing_but_capture(capture_client):
    assert capture(capture_client) == 201

    assert capture_client.get("/api/v1/leads/").status_code in (401, 403)
    assert capture_client.get("/api/v1/tasks/").status_code in (401, 403)


def test_a_revoked_key_is_never_cached(capture_key, clock):
    CaptureKey.objects.update(revoked=True)

    assert authentication.capture_key_verified(capture_key) is None
    assert authentication._verified == {}


def test_with_no_window_every_request_reads_the_key(capture_client):
    with override_settings(CAPTURE_KEY_CACHE_SECONDS=0):
        assert capture(capture_client) == 201
        CaptureKey.objects.update(revoked=True)

        assert capture(capture_client, "b@example.com") == 401
