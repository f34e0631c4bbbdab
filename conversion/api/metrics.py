from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.permissions import IsManager
from leads.filters import UtcDateTimeField

from ..metrics import funnel_metrics


class FunnelForm(forms.Form):
    since = UtcDateTimeField(required=False)
    until = UtcDateTimeField(required=False)
    source = forms.CharField(max_length=50, required=False)


class FunnelMetricsApi(APIView):
    """The lead funnel for managers: statuses, conversion by source, time to qualify and
    convert, and how fast each rep responds."""

    permission_classes = [IsManager]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="Leads captured from then."
            ),
            OpenApiParameter(
                "until", OpenApiTypes.DATETIME, description="Leads captured before then."
            ),
            OpenApiParameter("source", OpenApiTypes.STR, description="One lead source."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        form = FunnelForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        return Response(
            funnel_metrics(
                since=data.get("since"), until=data.get("until"), source=data.get("source") or None
            )
        )
