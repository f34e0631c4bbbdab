from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from ..models import CaptureKey

KEYWORD = "Api-Key"


class CaptureKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`: the marketing site or integration a capture came from.

    Succeeds with no user and the CaptureKey as `request.auth`. A key that is unknown,
    revoked or expired answers 401.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, key = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed("No capture key after 'Api-Key'.")
        try:
            capture_key = CaptureKey.objects.get_from_key(key)
        except CaptureKey.DoesNotExist:
            capture_key = None
        if capture_key is None or capture_key.has_expired or capture_key.revoked:
            raise exceptions.AuthenticationFailed("Invalid or revoked capture key.")
        return (None, capture_key)

    def authenticate_header(self, request) -> str:
        return KEYWORD


class HasCaptureKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, CaptureKey)


class CaptureKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leads.api.authentication.CaptureKeyAuthentication"
    name = "CaptureKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create one with `python manage.py create_capture_key NAME`.",
        }
