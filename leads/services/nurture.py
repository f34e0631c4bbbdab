"""The lead's side of nurturing: leaving a sequence, and unsubscribing from email."""

from django.core import signing
from django.db import transaction

from ..models import ActivityType, Lead, LeadActivity

UNSUBSCRIBE_SALT = "leads.unsubscribe"


def nurture_leave(lead: Lead) -> None:
    """Take the lead out of its sequence (it was assigned, qualified, converted or
    disqualified); the sequence's runner closes the enrollment when it next looks."""
    if lead.nurture_sequence_id is None:
        return
    lead.nurture_sequence = None
    lead.nurture_next_step_at = None
    Lead.objects.filter(pk=lead.pk).update(nurture_sequence=None, nurture_next_step_at=None)


def unsubscribe_token(lead: Lead) -> str:
    """A signed, unguessable token for the lead's unsubscribe link; it never expires, since
    people click links in old emails."""
    return signing.dumps(str(lead.pk), salt=UNSUBSCRIBE_SALT)


def lead_from_unsubscribe_token(token: str) -> Lead | None:
    try:
        lead_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Lead.objects.filter(pk=lead_id).first()


def lead_unsubscribe(*, lead: Lead, how: str) -> bool:
    """No more email to this lead, and no more nurturing. True if it was subscribed."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.do_not_email:
            return False
        lead.do_not_email = True
        lead.save(update_fields=["do_not_email", "updated_at"])
        nurture_leave(lead)
        LeadActivity.objects.create(
            lead=lead, type=ActivityType.UNSUBSCRIBED, description=f"Unsubscribed ({how})"
        )
    return True
