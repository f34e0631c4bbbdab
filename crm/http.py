"""The request a page view receives once its login check has passed."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedRequest(HttpRequest):
    """Behind `login_required` the user is a CRM user, never AnonymousUser; HtmxMiddleware
    (settings.MIDDLEWARE) sets `htmx` on every request."""

    user: User
    htmx: HtmxDetails
