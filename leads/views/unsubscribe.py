from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..services import lead_from_unsubscribe_token, lead_unsubscribe


# No login and no CSRF token: the link comes from an email, and mail clients post the
# one-click unsubscribe (RFC 8058) themselves. The signed token is the authorisation.
@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    http_method_names = ["get", "post"]

    def get(self, request, token: str):
        return self.unsubscribe(request, token, how="link")

    def post(self, request, token: str):
        return self.unsubscribe(request, token, how="one-click")

    def unsubscribe(self, request, token: str, how: str):
        lead = lead_from_unsubscribe_token(token)
        if lead is None:
            return render(request, "leads/unsubscribe.html", {"invalid": True}, status=404)
        lead_unsubscribe(lead=lead, how=how)
        return render(request, "leads/unsubscribe.html", {"email": lead.email})
