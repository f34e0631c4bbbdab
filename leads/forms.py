from django import forms

from crm.models import Role, User

from .models import ActivityType, LeadStatus
from .services import MANUAL_STATUSES

LOG_TYPES = [
    (ActivityType.CALL, "Call"),
    (ActivityType.EMAIL_SENT, "Email"),
    (ActivityType.MEETING, "Meeting"),
    (ActivityType.NOTE, "Note"),
]


class ActivityLogForm(forms.Form):
    type = forms.ChoiceField(choices=LOG_TYPES, label="What happened")
    description = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes"
    )


class StatusForm(forms.Form):
    lead_status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in LeadStatus if s in MANUAL_STATUSES], label="Status"
    )


class BantForm(forms.Form):
    has_budget = forms.BooleanField(required=False, label="Budget")
    has_authority = forms.BooleanField(required=False, label="Authority")
    has_need = forms.BooleanField(required=False, label="Need")
    has_timeline = forms.BooleanField(required=False, label="Timeline")
    notes = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes"
    )


class AssignForm(forms.Form):
    # Blank is a choice: a manager takes a lead back from a rep who left or is away.
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, role=Role.REP).order_by("username"),
        required=False,
        empty_label="Unassigned",
        label="Assign to",
    )
