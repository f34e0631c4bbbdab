import time
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from ..models import CaptureKey

KEYWORD = "Api-Key"
# Only keys that passed are kept, so this bounds the memory a flood of valid keys could take.
VERIFIED_KEYS_MAX = 1000


def clock() -> float:
    return time.monotonic()


# The raw key as sent (never its prefix alone: another key with the same prefix must be checked
# on its own) -> (when this process must ask the database again, the key's row as read then).
_verified: dict[str, tuple[float, CaptureKey]] = {}


def capture_key_verified(key: str) -> CaptureKey | None:
    """The live capture key `key` names, or None when it is unknown, revoked or expired.

    A key that passed is trusted in this process for CAPTURE_KEY_CACHE_SECONDS without asking
    the database again: a capture then costs no key lookup, and a key revoked or deleted in
    another process stops working within that time. Its expiry date is checked on every request,
    so an expired key is refused at once; saving or deleting a key empties this process's cache.
    """
    now = clock()
    cached = _verified.get(key)
    if cached is not None and cached[0] > now:
        capture_key = cached[1]
    else:
        _verified.pop(key, None)
        try:
            capture_key = cast(CaptureKey, CaptureKey.objects.get_from_key(key))
        except CaptureKey.DoesNotExist:
            return None
        ttl = settings.CAPTURE_KEY_CACHE_SECONDS
        if ttl > 0 and not capture_key.revoked:
            if len(_verified) >= VERIFIED_KEYS_MAX:
                _verified.clear()
            _verified[key] = (now + ttl, capture_key)
    if capture_key.revoked or capture_key.has_expired:
        return None
    return capture_key


@receiver([post_save, post_delete], sender=CaptureKey, dispatch_uid="capture_key_cache_clear")
def capture_keys_forget(**kwargs: Any) -> None:
    # A key revoked here (admin, a command) stops working at once in this process; other
    # processes notice within CAPTURE_KEY_CACHE_SECONDS. Again once the change commits: until
    # then another request of this process still reads the old row, and would cache it.
    _verified.clear()
    transaction.on_commit(_verified.clear)


class CaptureKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`: the marketing site or integration a capture came from.

    Succeeds with no user and the CaptureKey as `request.auth`. A key that is unknown,
    revoked or expired answers 401 (a revoked one within CAPTURE_KEY_CACHE_SECONDS).
    """

    def authenticate(self, request: Request) -> tuple[None, CaptureKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("No capture key after 'Api-Key'.")
        capture_key = capture_key_verified(key)
        if capture_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked capture key.")
        return (None, capture_key)

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class HasCaptureKey(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, CaptureKey)


def request_capture_key(request: Request) -> CaptureKey:
    """The capture key a capture or event API view acts for (HasCaptureKey let it through)."""
    if not isinstance(request.auth, CaptureKey):
        raise exceptions.NotAuthenticated
    return request.auth


class CaptureKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leads.api.authentication.CaptureKeyAuthentication"
    name = "CaptureKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create one with `python manage.py create_capture_key NAME`.",
        }
