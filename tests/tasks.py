"""A Celery task for tests of the side-effect seam: it leaves a note on the lead it was given."""

import os

from celery import shared_task

from leads.models import LeadActivity


@shared_task(name="tests.lead_touch")
def lead_touch(lead_id: str) -> None:
    LeadActivity.objects.create(
        lead_id=lead_id, type="note", description="touched", metadata={"pid": os.getpid()}
    )
