import json
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Role, User

from ..models import Channel, Lead, LeadActivity, LeadStatus
from ..services import EVENT_TYPES, LOGGABLE_TYPES

CUSTOM_FIELDS_MAX_KEYS = 50
CUSTOM_FIELD_KEY_MAX = 100
CUSTOM_FIELD_VALUE_MAX = 1000


def custom_fields_validate(value: Any) -> dict[str, Any]:
    """A flat object of modest size: string keys, scalar values."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be an object of names to values.")
    if len(value) > CUSTOM_FIELDS_MAX_KEYS:
        raise serializers.ValidationError(f"At most {CUSTOM_FIELDS_MAX_KEYS} entries.")
    for key, item in value.items():
        if not key.strip() or len(key) > CUSTOM_FIELD_KEY_MAX:
            raise serializers.ValidationError(
                f"Names must be 1 to {CUSTOM_FIELD_KEY_MAX} characters."
            )
        if isinstance(item, dict | list):
            raise serializers.ValidationError(f"'{key}': values must be text, numbers or booleans.")
        if isinstance(item, str) and len(item) > CUSTOM_FIELD_VALUE_MAX:
            raise serializers.ValidationError(
                f"'{key}': at most {CUSTOM_FIELD_VALUE_MAX} characters."
            )
    return value


@extend_schema_field(OpenApiTypes.OBJECT)
class CustomFieldsField(serializers.Field):
    default_error_messages = {"invalid": "Must be a JSON object."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        return custom_fields_validate(data)

    def to_representation(self, value):
        return value


class LeadCaptureInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(max_length=255)
    phone = serializers.CharField(max_length=50, required=False)
    company = serializers.CharField(max_length=255, required=False)
    title = serializers.CharField(max_length=100, required=False)
    industry = serializers.CharField(max_length=100, required=False)
    employee_count = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    annual_revenue = serializers.DecimalField(
        max_digits=15, decimal_places=2, min_value=0, required=False
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    source = serializers.CharField(max_length=50, required=False)
    custom_fields = CustomFieldsField(required=False)
    message = serializers.CharField(max_length=10_000, required=False)
    chat_transcript = serializers.CharField(max_length=200_000, required=False)


class LeadSerializer(serializers.ModelSerializer):
    """A lead as the API shows it; writes go through lead_update."""

    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER]),
        allow_null=True,
        required=False,
    )
    lead_status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    custom_fields = CustomFieldsField(required=False)

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
            "converted",
            "converted_at",
            "contact",
            "custom_fields",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "score",
            "grade",
            "qualified",
            "qualified_at",
            "assigned_at",
            "converted",
            "converted_at",
            "contact",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "employee_count": {"min_value": 0, "max_value": 10_000_000},
            "annual_revenue": {"min_value": 0},
        }

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        others = Lead.objects.filter(email=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("Another lead has this email.")
        return value


class LeadActivitySerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = LeadActivity
        fields = ["id", "type", "description", "metadata", "created_by", "created_at"]


class LeadActivityInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[(t.value, t.label) for t in (*LOGGABLE_TYPES, *EVENT_TYPES)]
    )
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


# Clocks of marketing tools drift; an event far in the future would never leave a score window.
EVENT_CLOCK_SKEW = timedelta(minutes=5)


class EventInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=255)
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in EVENT_TYPES])
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)

    def validate_occurred_at(self, value):
        if value > timezone.now() + EVENT_CLOCK_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value
