from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..services import lead_from_unsubscribe_token, lead_unsubscribe

# RFC 8058: a mail client's one-click unsubscribe posts exactly this field.
ONE_CLICK = ("List-Unsubscribe", "One-Click")


# No login and no CSRF token: the link comes from an email, and mail clients post the
# one-click unsubscribe (RFC 8058) themselves. The signed token is the authorisation.
@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """Opening the link shows a button; only a POST unsubscribes.

    Mail scanners open every link in a message before its reader does, so a GET that
    unsubscribed would unsubscribe leads who never asked to.
    """

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        lead = lead_from_unsubscribe_token(token)
        if lead is None:
            return _unknown(request)
        return render(
            request,
            "leads/unsubscribe.html",
            {"email": lead.email, "confirm": not lead.do_not_email},
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        lead = lead_from_unsubscribe_token(token)
        if lead is None:
            return _unknown(request)
        one_click = request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]
        lead_unsubscribe(lead=lead, how="one-click" if one_click else "link")
        return render(request, "leads/unsubscribe.html", {"email": lead.email})


def _unknown(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/unsubscribe.html", {"invalid": True}, status=404)
