from typing import Any

from django import forms

from crm.models import User
from crm.selectors import lead_assignee_list

from .models import ActivityType, LeadStatus
from .services import MANUAL_STATUSES, user_label

LOG_TYPES = [
    (ActivityType.CALL, "Call"),
    (ActivityType.EMAIL_SENT, "Email"),
    (ActivityType.MEETING, "Meeting"),
    (ActivityType.NOTE, "Note"),
]


class PageForm(forms.Form):
    """A form of the workspace's pages: labels as written, with no colon added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ActivityLogForm(PageForm):
    type = forms.ChoiceField(choices=LOG_TYPES, label="What happened")
    description = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes"
    )


class StatusForm(PageForm):
    lead_status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in LeadStatus if s in MANUAL_STATUSES], label="Status"
    )


class BantForm(PageForm):
    has_budget = forms.BooleanField(required=False, label="Budget")
    has_authority = forms.BooleanField(required=False, label="Authority")
    has_need = forms.BooleanField(required=False, label="Need")
    has_timeline = forms.BooleanField(required=False, label="Timeline")
    notes = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes"
    )


class RepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user_label(user)


class AssignForm(PageForm):
    # Blank is a choice: a manager takes a lead back from a rep who left or is away.
    user = RepChoiceField(
        queryset=lead_assignee_list(),
        required=False,
        empty_label="Unassigned",
        label="Assign to",
    )
