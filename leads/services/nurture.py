"""The lead's side of nurturing: telling nurturing that leads may no longer be nurtured, and
unsubscribing from email. Nurturing itself (sequences, enrollments) is assignment's."""

from collections.abc import Iterable
from uuid import UUID

from django.core import signing
from django.db import transaction

from crm import task_names
from crm.effects import task_enqueue_on_commit

from ..models import ActivityType, Lead, LeadActivity

UNSUBSCRIBE_SALT = "leads.unsubscribe"
# Lead ids per query: SQLite takes at most 32,766 parameters in a statement.
IDS_PER_QUERY = 2000


def leads_nurture_leave(*, lead_ids: Iterable[UUID]) -> int:
    """These leads may no longer be nurtured (assigned to a rep, qualified, unqualified,
    converted or unsubscribed): nurturing closes their enrollments once this commits, all of
    them in one task. Leads in no sequence need nothing; nurturing's due runner also sweeps,
    so a message lost cannot keep a lead in a sequence. Returns how many were in one."""
    ids = list(lead_ids)
    nurtured: list[str] = []
    for start in range(0, len(ids), IDS_PER_QUERY):
        in_sequence = Lead.objects.filter(
            pk__in=ids[start : start + IDS_PER_QUERY],
            # Both on one join: an open enrollment, not "no enrollment" (a LEFT JOIN's NULL).
            nurture_enrollments__isnull=False,
            nurture_enrollments__exited_at__isnull=True,
        ).order_by()
        nurtured += (str(pk) for pk in in_sequence.values_list("pk", flat=True))
    if nurtured:
        task_enqueue_on_commit(task_names.NURTURE_LEAVE, nurtured)
    return len(nurtured)


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
        LeadActivity.objects.create(
            lead=lead, type=ActivityType.UNSUBSCRIBED, description=f"Unsubscribed ({how})"
        )
        leads_nurture_leave(lead_ids=[lead.pk])
    return True
