"""Password guessing stops at a limit per username and a higher one per client address.

django-axes records the failures and refuses locked-out logins; it counts per lockout
parameter but compares every count with one AXES_FAILURE_LIMIT. Its maintainers point to a
handler for separate limits (jazzband/django-axes#661), which is what this is.
"""

from typing import Any, cast

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str | None:
    """The address the capture throttles count by: the socket's peer, or the one NUM_PROXIES
    trusted proxies put in X-Forwarded-For; a client can write anything there otherwise."""
    # Axes passes Django's request; get_ident reads only its META, which both kinds have.
    return BaseThrottle().get_ident(cast(Request, request))


class LoginLockoutHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with a failure limit for each lockout parameter (LOGIN_FAILURE_LIMITS)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # Axes locks out once this reaches AXES_FAILURE_LIMIT, so report that limit as soon
        # as any parameter reaches its own, and less until then.
        lockout_at = settings.AXES_FAILURE_LIMIT
        highest = 0
        attempts_by_parameter = zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        )
        for parameter, attempts in attempts_by_parameter:
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures >= settings.LOGIN_FAILURE_LIMITS[parameter]:
                return lockout_at
            highest = max(highest, failures)
        return min(highest, lockout_at - 1)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out login gets instead of the login form, on every login page."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
