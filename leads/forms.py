from typing import Any, cast

from django import forms

from crm.models import User
from crm.selectors import LEAD_ASSIGNEE_RULE, lead_owner_choice_list

from .models import ActivityType, Lead, LeadStatus
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


def owner_choice_label(user: User, *, allowed: bool) -> str:
    """A person as an owner dropdown shows them. One offered only because they own the row
    already says why nobody could pick them now: "casey (inactive)", "boss (Sales manager)"."""
    if allowed:
        return user_label(user)
    why = "inactive" if not user.is_active else user.get_role_display() or "no role"
    return f"{user_label(user)} ({why})"


class OwnerChoiceField(forms.ModelChoiceField):
    """A choice of owner from a crm.selectors `*_owner_choice_list`: who the rule allows, and
    the current owner, who stays a choice so a form sent back unchanged changes nothing.
    Refusing anyone else says the rule."""

    def __init__(self, *, rule: str, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": rule})
        super().__init__(**kwargs)

    def label_from_instance(self, user: User) -> str:
        return owner_choice_label(user, allowed=getattr(user, "may_own", True))


class AssignForm(PageForm):
    # Blank is a choice: a manager takes a lead back from a rep who left or is away.
    user = OwnerChoiceField(
        queryset=lead_owner_choice_list(current_id=None),
        rule=LEAD_ASSIGNEE_RULE,
        required=False,
        empty_label="Unassigned",
        label="Assign to",
    )

    def __init__(self, *args: Any, lead: Lead | None = None, **kwargs: Any) -> None:
        """For a `lead`, its owner is the selected choice even when they may no longer
        receive a lead: they stay its owner until someone else is chosen."""
        super().__init__(*args, **kwargs)
        if lead is not None:
            field = cast(OwnerChoiceField, self.fields["user"])
            field.queryset = lead_owner_choice_list(current_id=lead.assigned_to_id)
            self.initial.setdefault("user", lead.assigned_to_id)
