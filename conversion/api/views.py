from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import User
from crm.permissions import IsManager, request_user
from leads.filters import UtcDateTimeField
from leads.selectors import lead_visible_to

from ..models import Company, Contact, Deal
from ..selectors import company_visible_to, contact_visible_to, deal_visible_to, funnel_metrics
from ..services import ConversionRefused, lead_convert
from .serializers import (
    FORCE_REFUSED,
    CompanySerializer,
    ContactSerializer,
    ConvertSerializer,
    DealSerializer,
)


class LeadConvertApi(APIView):
    """Turn a qualified lead into a contact, its company and a deal, in one transaction."""

    @extend_schema(
        request=ConvertSerializer,
        responses={
            201: inline_serializer(
                "Conversion",
                {
                    "contact_id": serializers.UUIDField(),
                    "company_id": serializers.UUIDField(allow_null=True),
                    "opportunity_id": serializers.UUIDField(allow_null=True),
                },
            ),
            400: OpenApiResponse(description="Per-field errors; `force` is for managers."),
            409: OpenApiResponse(description="Already converted, or not qualified."),
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        user = request_user(request)
        lead = get_object_or_404(lead_visible_to(user), pk=pk)
        serializer = ConvertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["force"] and not user.is_manager:
            # Refused, not ignored, so a rep learns that skipping qualification is not theirs.
            raise ValidationError({"force": [FORCE_REFUSED]})
        try:
            result = lead_convert(lead=lead, by=user, **serializer.validated_data)
        except ConversionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "contact_id": result.contact.pk,
                "company_id": result.company.pk if result.company else None,
                "opportunity_id": result.deal.pk if result.deal else None,
            },
            status=status.HTTP_201_CREATED,
        )


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    model: type[Model] = Company
    # Any id reaches the view, so one that is not a UUID answers the API's JSON 404.
    lookup_value_regex = "[^/]+"

    @staticmethod
    def visible_to(user: User) -> QuerySet[Any]:
        """Each customer viewset's rows that the user may see."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.visible_to(request_user(self.request)).order_by("-created_at", "pk")


class CompanyViewSet(CustomerViewSet):
    model = Company
    serializer_class = CompanySerializer
    visible_to = staticmethod(company_visible_to)


class ContactViewSet(CustomerViewSet):
    model = Contact
    serializer_class = ContactSerializer
    visible_to = staticmethod(contact_visible_to)


class DealViewSet(CustomerViewSet):
    model = Deal
    serializer_class = DealSerializer
    visible_to = staticmethod(deal_visible_to)


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
    def get(self, request: Request) -> Response:
        form = FunnelForm(request.query_params)
        if not form.is_valid():
            # Each message keeps its code (DRF would call every one "invalid").
            raise ValidationError(
                {
                    field: [ErrorDetail(error["message"], code=error["code"]) for error in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        data = form.cleaned_data
        return Response(
            funnel_metrics(
                since=data.get("since"), until=data.get("until"), source=data.get("source") or None
            )
        )
