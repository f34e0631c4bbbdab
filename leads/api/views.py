from typing import Any

from django.db import IntegrityError
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.json_input import BoundedJSONParser
from crm.permissions import IsManager, request_user

from ..capture_input import (
    CaptureInputSerializer,
    CaptureOutputSerializer,
    capture_kwargs,
    capture_payload,
)
from ..filters import LeadFilter, TaskFilter
from ..models import Lead, Task
from ..selectors import (
    lead_activity_list,
    lead_nurture_annotate,
    lead_visible_to,
    lead_with_nurture,
    task_visible_to,
)
from ..services import (
    Bant,
    LeadClosed,
    LeadNotFound,
    LeadUpdateError,
    lead_activity_log,
    lead_assign,
    lead_capture,
    lead_editable_fields,
    lead_event_record,
    lead_qualify,
    lead_update,
    task_complete,
)
from ..throttling import CaptureKeyThrottle
from .authentication import CaptureKeyAuthentication, HasCaptureKey, request_capture_key
from .idempotency_header import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENCY_RESPONSES,
    idempotent_response,
)
from .serializers import (
    EventInputSerializer,
    LeadActivityInputSerializer,
    LeadActivitySerializer,
    LeadAssignSerializer,
    LeadSerializer,
    QualifySerializer,
    TaskSerializer,
)


class LeadCaptureApi(APIView):
    """Marketing sites and integrations post leads here, as JSON or form-encoded.

    The answer is the lead's id and whether it is new, nothing more, since a capture key is
    no secret; a known lead only has its empty fields filled in.
    """

    authentication_classes = [CaptureKeyAuthentication]
    permission_classes = [HasCaptureKey]
    throttle_classes = [CaptureKeyThrottle]
    # No multipart: a capture carries no files, and an upload could not be kept.
    parser_classes = [BoundedJSONParser, FormParser]

    @extend_schema(
        request=CaptureInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: OpenApiResponse(CaptureOutputSerializer, description="A new lead."),
            200: OpenApiResponse(
                CaptureOutputSerializer,
                description="A lead had this email: its empty fields were filled in, and "
                "values that differ from its own were kept on the capture, not applied.",
            ),
            400: OpenApiResponse(description="Per-field errors; nothing was saved."),
            401: OpenApiResponse(description="Missing, unknown or revoked capture key."),
            413: OpenApiResponse(description="Body over 1 MiB."),
            **IDEMPOTENCY_RESPONSES,
            429: OpenApiResponse(description="Too many requests with this key; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        return idempotent_response(self, request, self.capture)

    def capture(self, request: Request) -> Response:
        data, extra = capture_payload(request.data)
        serializer = CaptureInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        result = lead_capture(
            **capture_kwargs(serializer.validated_data),
            received_via=f"capture key: {request_capture_key(request).name}",
            extra=extra,
        )
        return Response(
            CaptureOutputSerializer({"id": result.lead.pk, "created": result.created}).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Leads for reps (their own) and managers (all)."""

    serializer_class = LeadSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadFilter
    # Any id reaches the view, so one that is not a UUID answers the API's JSON 404.
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Lead]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Lead.objects.none()
        return lead_nurture_annotate(lead_visible_to(request_user(self.request)))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request_user(request)
        lead = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Expected an object of fields to change."]})
        # Read-only fields are refused, not silently dropped, so a client learns its edit failed.
        allowed = lead_editable_fields(user)
        refused = {
            name: ["You cannot change this field."] for name in request.data if name not in allowed
        }
        if refused:
            raise ValidationError(refused)
        serializer = self.get_serializer(lead, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            lead = lead_update(lead=lead, data=serializer.validated_data, by=user)
        except LeadUpdateError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        except IntegrityError:
            # Only a concurrent edit can take the email between validation and save.
            email = serializer.validated_data.get("email")
            if email and Lead.objects.filter(email=email).exclude(pk=lead.pk).exists():
                raise ValidationError({"email": ["Another lead has this email."]}) from None
            raise
        return Response(self.get_serializer(lead_with_nurture(lead)).data)

    @extend_schema(methods=["GET"], request=None, responses=LeadActivitySerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=LeadActivityInputSerializer,
        responses={201: LeadActivitySerializer},
    )
    # The timeline takes no lead filters; without this the schema would list them.
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def activities(self, request: Request, pk: str | None = None) -> Response:
        user = request_user(request)
        lead = get_object_or_404(lead_visible_to(user), pk=pk)
        if request.method == "POST":
            serializer = LeadActivityInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            activity = lead_activity_log(lead=lead, by=user, **serializer.validated_data)
            return Response(LeadActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(lead_activity_list(lead=lead))
        return self.get_paginated_response(LeadActivitySerializer(page, many=True).data)

    @extend_schema(request=LeadAssignSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsManager])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Managers hand a lead to a rep; the rep is emailed and its open tasks follow."""
        user = request_user(request)
        lead = get_object_or_404(lead_visible_to(user), pk=pk)
        serializer = LeadAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = lead_assign(lead=lead, to=serializer.validated_data["user"], by=user)
        return Response(LeadSerializer(lead_with_nurture(lead)).data)

    @extend_schema(
        request=QualifySerializer,
        responses={
            200: inline_serializer(
                "Qualification",
                {"qualified": serializers.BooleanField(), "lead": LeadSerializer()},
            ),
            409: OpenApiResponse(description="Converted."),
        },
    )
    @action(detail=True, methods=["post"])
    def qualify(self, request: Request, pk: str | None = None) -> Response:
        """BANT: all four true qualifies the lead; anything less disqualifies it."""
        user = request_user(request)
        lead = get_object_or_404(lead_visible_to(user), pk=pk)
        serializer = QualifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            lead = lead_qualify(lead=lead, bant=Bant(**serializer.validated_data), by=user)
        except LeadClosed as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {"qualified": lead.qualified, "lead": LeadSerializer(lead_with_nurture(lead)).data}
        )


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Follow-up tasks: a rep sees their own, a manager everyone's."""

    serializer_class = TaskSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilter
    # Any id reaches the view, so one that is not a UUID answers the API's JSON 404.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Task]:
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return task_visible_to(request_user(self.request))

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        task = task_complete(task=self.get_object(), by=request_user(request))
        return Response(TaskSerializer(task).data)


class EventCaptureApi(APIView):
    """Marketing tools report what a known lead did (opened, clicked, viewed), by email.

    The answer has the capture API's shape, the lead's id and `created: false`, so a capture
    key learns nothing about the lead here either.
    """

    authentication_classes = [CaptureKeyAuthentication]
    permission_classes = [HasCaptureKey]
    throttle_classes = [CaptureKeyThrottle]
    parser_classes = [BoundedJSONParser, FormParser]

    @extend_schema(
        request=EventInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: OpenApiResponse(
                CaptureOutputSerializer,
                description="The event was recorded on the lead with this email; `created` is "
                "always false, since an event never creates a lead.",
            ),
            400: OpenApiResponse(description="Per-field errors, e.g. an unknown type."),
            404: OpenApiResponse(description="No lead has this email; nothing was stored."),
            **IDEMPOTENCY_RESPONSES,
            429: OpenApiResponse(description="Too many requests with this key; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        return idempotent_response(self, request, self.record)

    def record(self, request: Request) -> Response:
        serializer = EventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            activity = lead_event_record(
                **serializer.validated_data,
                received_via=f"capture key: {request_capture_key(request).name}",
            )
        except LeadNotFound as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        return Response(
            CaptureOutputSerializer({"id": activity.lead_id, "created": False}).data,
            status=status.HTTP_201_CREATED,
        )
