from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers

from crm.json_input import JSONTypesMixin
from crm.models import User
from crm.openapi import BLANK, NO_NUL, NO_NUL_OR_EMPTY
from crm.selectors import LEAD_ASSIGNEE_RULE, lead_assignee_list

from ..capture_input import (
    EXTRA_LIST_MAX,
    EXTRA_VALUE_MAX,
    KEY_MAX,
    CustomFieldsField,
    NamedChoiceField,
    NormalizedEmailField,
)
from ..models import Lead, LeadActivity, LeadStatus, Task
from ..services import EVENT_TYPES, LOGGABLE_TYPES, RECORD_FIELDS, WORKFLOW_FIELDS


class LeadAssigneeField(serializers.PrimaryKeyRelatedField):
    """A user id from lead_assignee_list. Someone who exists but may not own a lead is
    refused with the rule, not as an id that does not exist."""

    default_error_messages = {"not_assignee": LEAD_ASSIGNEE_RULE}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=lead_assignee_list(), **kwargs)

    def to_internal_value(self, data: Any) -> User:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if any(getattr(e, "code", None) == "does_not_exist" for e in exc.detail) and (
                User.objects.filter(pk=data).exists()
            ):
                self.fail("not_assignee")
            raise


class LeadSerializer(JSONTypesMixin, serializers.ModelSerializer):
    """A lead as the API shows it; writes go through lead_update."""

    assigned_to = LeadAssigneeField(allow_null=True, required=False)
    lead_status = NamedChoiceField(choices=LeadStatus.choices, required=False)
    email = NormalizedEmailField(max_length=255, required=False)
    custom_fields = CustomFieldsField(required=False)
    response_time_seconds = serializers.SerializerMethodField()
    # From the lead's open enrollment (selectors.lead_nurture_annotate): null once the lead may
    # no longer be nurtured. Leads the API shows are read through that selector.
    nurture_sequence = serializers.CharField(
        read_only=True, allow_null=True, help_text="The name of the sequence nurturing the lead."
    )
    nurture_next_step_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "title",
            "industry",
            "employee_count",
            "annual_revenue",
            "lead_source",
            "lead_status",
            "score",
            "grade",
            "qualified",
            "qualified_at",
            "assigned_to",
            "assigned_at",
            "first_response_at",
            "response_time_seconds",
            "converted",
            "converted_at",
            "contact",
            "custom_fields",
            "nurture_sequence",
            "nurture_next_step_at",
            "do_not_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [*WORKFLOW_FIELDS, *RECORD_FIELDS]
        extra_kwargs = {
            "employee_count": {"min_value": 0, "max_value": 10_000_000},
            "annual_revenue": {"min_value": 0},
        }

    def get_response_time_seconds(self, lead: Lead) -> int | None:
        """Seconds from assignment to the owner's first response; null until there is one."""
        if lead.first_response_at is None or lead.assigned_at is None:
            return None
        return max(0, int((lead.first_response_at - lead.assigned_at).total_seconds()))

    def validate_email(self, value: str) -> str:
        others = Lead.objects.filter(email=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("Another lead has this email.")
        return value


class LeadActivitySerializer(serializers.ModelSerializer):
    # Captures and events have no user.
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = LeadActivity
        fields = ["id", "type", "description", "metadata", "created_by", "created_at"]


class LeadActivityInputSerializer(JSONTypesMixin, serializers.Serializer):
    type = NamedChoiceField(choices=[(t.value, t.label) for t in (*LOGGABLE_TYPES, *EVENT_TYPES)])
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


# Clocks of marketing tools drift; an event far in the future would never leave a score window.
EVENT_CLOCK_SKEW = timedelta(minutes=5)


class EventInputSerializer(JSONTypesMixin, serializers.Serializer):
    email = NormalizedEmailField(max_length=255)
    type = NamedChoiceField(choices=[(t.value, t.label) for t in EVENT_TYPES])
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)

    def validate_occurred_at(self, value: datetime) -> datetime:
        if value > timezone.now() + EVENT_CLOCK_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value


class LeadAssignSerializer(JSONTypesMixin, serializers.Serializer):
    user = LeadAssigneeField()


class TaskSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "lead",
            "owner",
            "title",
            "priority",
            "due_at",
            "completed_at",
            "is_open",
            "created_at",
        ]
        read_only_fields = fields


class QualifySerializer(JSONTypesMixin, serializers.Serializer):
    has_budget = serializers.BooleanField()
    has_authority = serializers.BooleanField()
    has_need = serializers.BooleanField()
    has_timeline = serializers.BooleanField()
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


class LeadEditSchema(OpenApiSerializerExtension):
    """A PATCH that names a field it may not change is refused, so the schema says so."""

    target_class = LeadSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class CaptureInputSchema(OpenApiSerializerExtension):
    """A capture is lenient, as marketing sites and their tools are: empty values count as
    absent, a number sent for a text field is kept as its text, and fields the CRM does not
    know are kept with it, within bounds."""

    target_class = "leads.capture_input.CaptureInputSerializer"

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        for name, field in schema["properties"].items():
            if name in schema.get("required", []):
                continue
            branches = [field, {"type": "null"}, {"type": "string", "pattern": BLANK}]
            if field.get("pattern") == NO_NUL:
                field.pop("minLength", None)
                field["pattern"] = NO_NUL_OR_EMPTY
                branches.append({"type": "number"})
            schema["properties"][name] = {"anyOf": branches}
        scalar = {
            "type": ["string", "number", "boolean", "null"],
            "maxLength": EXTRA_VALUE_MAX,
            "pattern": NO_NUL_OR_EMPTY,
        }
        schema["additionalProperties"] = {
            "anyOf": [scalar, {"type": "array", "maxItems": EXTRA_LIST_MAX, "items": scalar}]
        }
        schema["propertyNames"] = {"maxLength": KEY_MAX, "pattern": NO_NUL_OR_EMPTY}
        return schema
