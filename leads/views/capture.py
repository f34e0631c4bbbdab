from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError

from ..capture_input import CaptureInputSerializer, capture_kwargs, capture_payload
from ..models import CaptureForm, Channel
from ..services import lead_capture
from ..throttling import CaptureFormThrottle

# Hidden from people by the snippet's markup; bots that fill every input fill it too.
HONEYPOT_FIELD = "website"


def origin_of(request: HttpRequest) -> str:
    origin = request.headers.get("Origin", "")
    if origin and origin != "null":
        return origin.rstrip("/")
    referer = request.headers.get("Referer", "")
    scheme, _, rest = referer.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


def _invalid(request: HttpRequest, form: CaptureForm, errors: Any) -> HttpResponse:
    return render(
        request,
        "leads/capture_invalid.html",
        {"form": form, "errors": errors, "back_url": _back_url(request)},
        status=400,
    )


def _back_url(request: HttpRequest) -> str:
    """The form's page, when the browser said which it was (cross-site, most send only the origin)."""
    referer = request.headers.get("Referer", "")
    scheme, _, rest = referer.partition("://")
    has_path = "/" in rest and rest.split("/", 1)[1] != ""
    return referer if scheme in ("http", "https") and has_path else ""


# Cross-site by design: the form sits on a marketing site, which cannot hold our CSRF token.
@method_decorator(csrf_exempt, name="dispatch")
class CaptureFormView(View):
    """The web-to-lead endpoint: a plain HTML form posts here and the visitor is redirected."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, form_key: str) -> HttpResponse:
        # Before anything else, so a flood from one address costs a cache hit, not a query.
        throttle = CaptureFormThrottle()
        if not throttle.allow_request(request, self):
            response = HttpResponse(
                "Too many submissions from your address. Please try again later.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = throttle.retry_after()
            return response
        form = get_object_or_404(CaptureForm, key=form_key, active=True)
        if form.origins and origin_of(request) not in form.origins:
            return render(request, "leads/capture_refused.html", {"form": form}, status=403)
        if request.POST.get(HONEYPOT_FIELD, "").strip():
            return HttpResponseRedirect(form.success_url, status=303)

        try:
            data, extra = capture_payload(request.POST)
        except ValidationError as exc:
            return _invalid(request, form, exc.detail)
        # The form decides the channel and the source; a posted `source` is kept as sent.
        source = data.pop("source", None)
        if source:
            extra["source"] = source
        data["channel"] = Channel.FORM
        serializer = CaptureInputSerializer(data=data)
        if not serializer.is_valid():
            return _invalid(request, form, serializer.errors)
        lead_capture(
            **capture_kwargs(serializer.validated_data),
            default_source=form.default_source,
            received_via=f"web form: {form.name}",
            extra=extra,
        )
        return HttpResponseRedirect(form.success_url, status=303)
