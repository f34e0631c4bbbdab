from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

# The scheme of capture keys (leads.api.authentication); crm cannot import from leads.
CAPTURE_KEY_KEYWORD = b"api-key"


def capture_key_refuse(request) -> None:
    """A capture key may capture leads and post events, and nothing else: elsewhere it is
    refused with 403, whether or not it is valid, rather than taken for no credentials (401)."""
    keyword = get_authorization_header(request).split(b" ", 1)[0]
    if keyword.lower() == CAPTURE_KEY_KEYWORD:
        raise PermissionDenied("A capture key may only post captures and events.")


class NotCaptureKey(BasePermission):
    """Open to anyone but a capture key (the API schema and its docs)."""

    def has_permission(self, request, view) -> bool:
        capture_key_refuse(request)
        return True


class IsSalesUser(BasePermission):
    """Signed in as a rep or a manager: the people the leads API is for."""

    message = "Only sales reps and sales managers may use this API."

    def has_permission(self, request, view) -> bool:
        capture_key_refuse(request)
        user = request.user
        return bool(user and user.is_authenticated and (user.is_rep or user.is_manager))


class IsManager(BasePermission):
    message = "Only sales managers may do this."

    def has_permission(self, request, view) -> bool:
        capture_key_refuse(request)
        user = request.user
        return bool(user and user.is_authenticated and user.is_manager)
