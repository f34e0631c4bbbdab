"""Sending a nurture step's email: once, after the step commits, never to a lead that has
unsubscribed meanwhile."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from leads.services import unsubscribe_token

from .models import NurtureStepRun
from .texts import body_render, subject_render


def nurture_email_send(*, run_id: int) -> bool:
    """Send a nurture email once, if the lead still accepts email; True if sent."""
    with transaction.atomic():
        run = (
            NurtureStepRun.objects.select_for_update()
            .select_related("step", "enrollment__lead")
            .filter(pk=run_id, sent_at__isnull=True)
            .first()
        )
        if run is None:
            return False
        lead = run.enrollment.lead
        if lead.do_not_email:
            return False
        unsubscribe = settings.SITE_URL + reverse(
            "leads:unsubscribe", args=[unsubscribe_token(lead)]
        )
        body = body_render(run.step.body, lead) + f"\n\n--\nNo more emails from us: {unsubscribe}\n"
        message = EmailMultiAlternatives(
            subject=subject_render(run.step.subject, lead),
            body=body,
            to=[lead.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.send()
        run.sent_at = timezone.now()
        run.save(update_fields=["sent_at"])
    return True
