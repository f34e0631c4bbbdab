"""Pages for conversion and for managers: convert a lead, a contact, the dashboard."""

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.http import AuthenticatedRequest
from leads.models import LeadStatus
from leads.selectors import lead_visible_to

from .api.serializers import FORCE_REFUSED, ConvertSerializer
from .charts import bar_rows
from .selectors import (
    contact_deal_list,
    contact_page_get,
    funnel_metrics,
    funnel_score_bands,
    rep_workload_list,
)
from .services import ConversionRefused, lead_convert


def back_to_lead(pk: UUID) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("leads:lead-detail", args=[pk]), status=303)


@require_POST
@login_required
def lead_convert_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    # Only the lead's id is needed: the service locks and reads the row itself.
    lead = get_object_or_404(lead_visible_to(request.user), pk=pk)
    form = ConvertSerializer(
        data={
            "create_opportunity": bool(request.POST.get("create_opportunity")),
            "deal_name": request.POST.get("deal_name", "").strip(),
            "amount": request.POST.get("amount", "").strip() or None,
            "close_date": request.POST.get("close_date", "").strip() or None,
            "force": bool(request.POST.get("force")),
        }
    )
    if not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
        )
        messages.error(request, f"Not converted. {problems}")
        return back_to_lead(pk)
    if form.validated_data["force"] and not request.user.is_manager:
        messages.error(request, f"Not converted. {FORCE_REFUSED}")
        return back_to_lead(pk)
    try:
        result = lead_convert(lead=lead, by=request.user, **form.validated_data)
        messages.success(
            request,
            f"Converted: contact {result.contact}"
            + (f", company {result.company}" if result.company else "")
            + (f", deal {result.deal}" if result.deal else "")
            + ".",
        )
    except ConversionRefused as exc:
        messages.error(request, str(exc))
    return back_to_lead(pk)


@login_required
def contact_detail_view(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    contact = contact_page_get(user=request.user, pk=pk)
    deals = contact_deal_list(user=request.user, contact=contact)
    return render(request, "conversion/contact.html", {"contact": contact, "deals": deals})


# Dates a sales dashboard can mean; past them the arithmetic on the range would overflow.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class RangeForm(forms.Form):
    since = forms.DateField(required=False, label="From", validators=[MinValueValidator(FIRST_DAY)])
    until = forms.DateField(required=False, label="To", validators=[MaxValueValidator(LAST_DAY)])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The range must not end before it starts.")
        return cleaned


def _range(request: AuthenticatedRequest) -> tuple[RangeForm, date, date, datetime, datetime]:
    """The dashboard's dates: the last 30 days unless the form asks for others."""
    form = RangeForm(request.GET)
    today = timezone.localdate()
    since, until = today - timedelta(days=29), today
    if form.is_valid():
        since = form.cleaned_data["since"] or since
        until = form.cleaned_data["until"] or until
    start = timezone.make_aware(datetime.combine(since, time.min))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return form, since, until, start, end


@login_required
def dashboard_view(request: AuthenticatedRequest) -> HttpResponse:
    """Managers: the funnel, sources, scores and reps over a date range, as charts and tables."""
    if not request.user.is_manager:
        raise PermissionDenied("The dashboard is for sales managers.")
    form, since, until, start, end = _range(request)
    metrics = funnel_metrics(since=start, until=end)
    bands = [(low, low + 9 if low < 90 else 100) for low in range(0, 100, 10)]
    score_counts = funnel_score_bands(since=start, until=end, bands=bands)
    workload = rep_workload_list()
    response_by_rep = {
        row["rep"]: row["median_hours"] for row in metrics["median_first_response_hours_per_rep"]
    }
    context = {
        "nav": "dashboard",
        "form": form,
        "since": since,
        "until": until,
        "metrics": metrics,
        "funnel": bar_rows(
            (LeadStatus(s).label, n) for s, n in metrics["leads_per_status"].items()
        ),
        "by_source": bar_rows(
            (row["source"] or "(none)", row["leads"]) for row in metrics["sources"]
        ),
        "rate_by_source": bar_rows(
            (
                (row["source"] or "(none)", round(100 * row["conversion_rate"], 1))
                for row in metrics["sources"]
            ),
            unit="%",
            maximum=100,
        ),
        "scores": bar_rows(
            (f"{low}–{high}", n) for (low, high), n in zip(bands, score_counts, strict=True)
        ),
        "workload": bar_rows(
            (rep.get_full_name() or rep.username, rep.open_leads) for rep in workload
        ),
        "response": bar_rows(
            (
                (rep.get_full_name() or rep.username, response_by_rep.get(rep.username))
                for rep in workload
            ),
            unit="h",
        ),
        # The export lists the same leads as the counts above: captured in the range.
        "export_query": urlencode(
            {"created_after": start.isoformat(), "created_before": end.isoformat()}
        ),
    }
    status = 200 if form.is_valid() else 400
    return render(request, "conversion/dashboard.html", context, status=status)
