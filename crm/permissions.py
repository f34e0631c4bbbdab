from typing import TYPE_CHECKING, cast

from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    # Only for the annotations: DRF's settings import this module while rest_framework.views loads.
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.views import APIView

    from crm.models import User

# The scheme of capture keys (leads.api.authentication); crm cannot import from leads.
CAPTURE_KEY_KEYWORD = b"api-key"


def capture_key_refuse(request: Request) -> None:
    """A capture key may capture leads and post events, and nothing else: elsewhere it is
    refused with 403, whether or not it is valid, rather than taken for no credentials (401)."""
    keyword = get_authorization_header(request).split(b" ", 1)[0]
    if keyword.lower() == CAPTURE_KEY_KEYWORD:
        raise PermissionDenied("A capture key may only post captures and events.")


def _user(request: Request) -> "User | AnonymousUser | None":
    # A capture key authenticates with no user (leads.api.authentication): DRF's stubs do not
    # allow for the None that request.user then is.
    return cast("User | AnonymousUser | None", request.user)


def request_user(request: Request) -> "User":
    """The signed-in CRM user a sales API view acts for.

    IsSalesUser or IsManager let only such a user through; this gives the view that user with
    its type, and refuses the request should a view ever be opened without either.
    """
    from crm.models import User  # DRF's settings import this module before the apps are ready

    user = _user(request)
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


class NotCaptureKey(BasePermission):
    """Open to anyone but a capture key (the API schema and its docs)."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        capture_key_refuse(request)
        return True


class IsSalesUser(BasePermission):
    """Signed in as a rep or a manager: the people the leads API is for."""

    message = "Only sales reps and sales managers may use this API."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        capture_key_refuse(request)
        user = _user(request)
        return user is not None and user.is_authenticated and (user.is_rep or user.is_manager)


class IsManager(BasePermission):
    message = "Only sales managers may do this."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        capture_key_refuse(request)
        user = _user(request)
        return user is not None and user.is_authenticated and user.is_manager
