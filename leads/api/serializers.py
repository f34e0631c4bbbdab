from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from crm.models import Role, User

from ..capture import CustomFieldsField, NormalizedEmailField
from ..models import Lead, LeadActivity, LeadStatus, Task
from ..services import EVENT_TYPES, LOGGABLE_TYPES


class LeadSerializer(serializers.ModelSerializer):
    """A lead as the API shows it; writes go through lead_update."""

    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER]),
        allow_null=True,
        required=False,
    )
    lead_status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    email = NormalizedEmailField(max_length=255, required=False)
    custom_fields = CustomFieldsField(required=False)
    response_time_seconds = serializers.SerializerMethodField()
    nurture_sequence = serializers.SlugRelatedField(slug_field="name", read_only=True)

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
        read_only_fields = [
            "nurture_next_step_at",
            "do_not_email",
            "first_response_at",
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
    email = NormalizedEmailField(max_length=255)
    type = serializers.ChoiceField(choices=[(t.value, t.label) for t in EVENT_TYPES])
    description = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False)

    def validate_occurred_at(self, value):
        if value > timezone.now() + EVENT_CLOCK_SKEW:
            raise serializers.ValidationError("Must not be in the future.")
        return value


class LeadAssignSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER])
    )


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


class QualifySerializer(serializers.Serializer):
    has_budget = serializers.BooleanField()
    has_authority = serializers.BooleanField()
    has_need = serializers.BooleanField()
    has_timeline = serializers.BooleanField()
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
