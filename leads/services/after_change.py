"""What follows a change to a lead, started through crm.effects, the seam every app uses."""

from django.conf import settings

from crm.effects import tasks_enqueue_on_commit

from ..models import Lead


def lead_changed(lead: Lead) -> None:
    """The seam: what follows any change to a lead (scoring, then routing) starts on commit."""
    tasks_enqueue_on_commit(settings.LEAD_CHANGED_TASKS, str(lead.pk))
