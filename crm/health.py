"""`/healthz`: is this instance able to serve? For load balancers and orchestrators.

It is also the baseline of the load benchmark, so it stays as cheap as a request can be: one
`SELECT 1`, one broker ping when a broker is configured, no ORM model, no session, no user.
"""

import functools
import logging
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# A probe that hangs is worse than one that fails: the load balancer times out on its own.
BROKER_TIMEOUT_SECONDS = 1.0


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@functools.cache
def redis_client(url: str) -> redis.Redis:
    # One client per URL keeps its connection pool, so a probe is one round trip, not a connect.
    # One immediate retry: a pooled connection that died with a Redis restart is replaced rather
    # than reported as an outage, and a broker that is down still costs two timeouts at most.
    return redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


def broker_check(url: str) -> None:
    if urlsplit(url).scheme in ("redis", "rediss"):
        redis_client(url).ping()
        return
    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=0)


def checks_run() -> dict[str, str]:
    """Each check's outcome: "ok", "failed", or "not configured"."""
    checks = {"database": "ok", "broker": "not configured"}
    try:
        database_check()
    except Exception:
        # Whatever the reason, this instance cannot serve; the log says why.
        logger.exception("Health check: the database did not answer")
        checks["database"] = "failed"
    broker_url = settings.CELERY_BROKER_URL
    if broker_url:
        try:
            broker_check(broker_url)
            checks["broker"] = "ok"
        except Exception:
            logger.exception("Health check: the broker did not answer")
            checks["broker"] = "failed"
    return checks


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = checks_run()
    failed = [name for name, outcome in checks.items() if outcome == "failed"]
    return JsonResponse(
        {"status": "unavailable" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )
