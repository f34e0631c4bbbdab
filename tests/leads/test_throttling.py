import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

import leads.throttling
from leads.models import CaptureKey, Lead

pytestmark = pytest.mark.django_db

CAPTURE = "/api/v1/capture/"
EVENTS = "/api/v1/events/"
# Mid-way through a minute, so a test knows how long the current window has left.
NOON = 1_800_000_000 // 60 * 60 + 30.0


def rates_setting(capture_key="1000/minute", capture_form="1000/minute", **api) -> dict:
    return {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"capture_key": capture_key, "capture_form": capture_form},
        **api,
    }


def rates(capture_key="1000/minute", capture_form="1000/minute", **api):
    return override_settings(REST_FRAMEWORK=rates_setting(capture_key, capture_form, **api))


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    # A cache of its own per test, so no count leaks between tests; and a fixed clock.
    location = f"throttle-test-{uuid.uuid4()}"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": location,
            }
        }
    ):
        monkeypatch.setattr(leads.throttling, "clock", lambda: NOON)
        yield
        cache.clear()


def capture(client, i):
    return client.post(CAPTURE, {"email": f"lead{i}@example.com"}, format="json")


def test_a_capture_key_over_its_rate_gets_429_with_retry_after(capture_client):
    with rates(capture_key="2/minute"):
        statuses = [capture(capture_client, i).status_code for i in range(2)]
        refused = capture(capture_client, 2)

    assert statuses == [201, 201]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert Lead.objects.count() == 2


def test_the_next_window_accepts_again(capture_client, monkeypatch):
    with rates(capture_key="1/minute"):
        capture(capture_client, 0)
        assert capture(capture_client, 1).status_code == 429
        monkeypatch.setattr(leads.throttling, "clock", lambda: NOON + 30)
        assert capture(capture_client, 2).status_code == 201


def test_events_count_against_the_same_key(capture_client):
    with rates(capture_key="1/minute"):
        capture(capture_client, 0)
        response = capture_client.post(
            EVENTS, {"email": "lead0@example.com", "type": "page_viewed"}, format="json"
        )

    assert response.status_code == 429
    assert response["Retry-After"] == "30"


def test_each_capture_key_has_its_own_budget(capture_client):
    _, other_key = CaptureKey.objects.create_key(name="partner.example")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")

    with rates(capture_key="1/minute"):
        capture(capture_client, 0)
        assert capture(capture_client, 1).status_code == 429
        assert capture(other, 2).status_code == 201


def submit(form, address, forwarded_for=None, i=0):
    headers = {"Origin": "https://www.example.com"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return Client(REMOTE_ADDR=address).post(
        f"/forms/{form.key}/", {"email": f"visitor{i}@example.com"}, headers=headers
    )


def test_web_form_is_limited_per_client_address(capture_form):
    with rates(capture_form="2/minute"):
        statuses = [submit(capture_form, "203.0.113.7", i=i).status_code for i in range(2)]
        refused = submit(capture_form, "203.0.113.7", i=2)
        other_visitor = submit(capture_form, "198.51.100.1", i=3)

    assert statuses == [303, 303]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert other_visitor.status_code == 303
    assert Lead.objects.count() == 3


def test_web_form_ignores_x_forwarded_for_unless_behind_a_proxy(capture_form):
    with rates(capture_form="1/minute"):
        submit(capture_form, "203.0.113.7", forwarded_for="192.0.2.1")
        # A client that makes up a new X-Forwarded-For each time is still one address.
        response = submit(capture_form, "203.0.113.7", forwarded_for="192.0.2.2", i=1)

    assert response.status_code == 429


def test_behind_a_proxy_the_address_it_forwarded_is_counted(capture_form):
    proxy = "10.0.0.2"
    with rates(capture_form="1/minute", NUM_PROXIES=1):
        submit(capture_form, proxy, forwarded_for="spoofed, 192.0.2.1")
        refused = submit(capture_form, proxy, forwarded_for="other-spoof, 192.0.2.1", i=1)
        other_visitor = submit(capture_form, proxy, forwarded_for="192.0.2.2", i=2)

    assert refused.status_code == 429
    assert other_visitor.status_code == 303


def test_page_size_is_capped(manager_client):
    Lead.objects.bulk_create(Lead(email=f"lead{i}@example.com") for i in range(201))

    response = manager_client.get("/api/v1/leads/", {"page_size": 100000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 200
    assert response.json()["count"] == 201


def test_cache_url_selects_the_redis_cache():
    code = "import crm.settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {**os.environ, "CACHE_URL": "redis://127.0.0.1:6379/5"}
    root = Path(__file__).resolve().parents[2]

    with_url = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    env.pop("CACHE_URL")
    without = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )

    assert with_url.stdout.strip() == "django.core.cache.backends.redis.RedisCache"
    assert without.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


REDIS_URL = os.environ.get("CACHE_URL") or os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.skipif(
    not REDIS_URL.startswith("redis://"), reason="needs Redis: set CACHE_URL or CELERY_BROKER_URL"
)
def test_counts_are_shared_through_redis(capture_key):
    prefix = f"throttle-test-{uuid.uuid4()}"
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    key_id = CaptureKey.objects.get_from_key(capture_key).pk
    # Another server process spends the key's budget; only the cache connects it with this one.
    other_process = f"""
import django
django.setup()
from django.test import override_settings
import leads.throttling
from leads.models import CaptureKey

class Request:
    auth = CaptureKey(pk={key_id!r})

leads.throttling.clock = lambda: {NOON!r}
with override_settings(CACHES={redis_cache!r}, REST_FRAMEWORK={rates_setting("2/minute")!r}):
    throttle = leads.throttling.CaptureKeyThrottle()
    print([throttle.allow_request(Request, None) for _ in range(2)])
"""
    try:
        spent = subprocess.run(
            [sys.executable, "-c", other_process],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert spent.stdout.strip() == "[True, True]", spent.stderr
        with override_settings(CACHES=redis_cache), rates(capture_key="2/minute"):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {capture_key}")
            assert capture(client, 0).status_code == 429
    finally:
        import redis

        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{prefix}:*"):
            connection.delete(key)


def test_captures_go_on_when_the_cache_is_down(capture_client):
    # Nothing listens on port 1: every cache call fails at once.
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable), rates(capture_key="1/minute"):
        statuses = [capture(capture_client, i).status_code for i in range(2)]

    assert statuses == [201, 201]
