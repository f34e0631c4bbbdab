"""Nurturing with the real moving parts: a Celery worker and beat on Redis, an SMTP server."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from assignment.models import NurtureEnrollment, NurtureStepRun
from assignment.services import lead_route
from tests.celery_worker import requires_broker, wait_for
from tests.factories import LeadFactory

pytestmark = [requires_broker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_beat_runs_due_steps_through_the_worker_once(smtp_server, celery_worker, celery_beat):
    lead = LeadFactory(score=20, first_name="Jane", email="jane@prospect.com")

    lead_route(lead_id=lead.pk)

    # The welcome email goes out at once, through the worker, without waiting for beat.
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60)
    assert "Subject: Thanks for your interest, Jane" in smtp_server.messages[0]["data"]
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in smtp_server.messages[0]["data"]

    # Step 2 falls due; beat (every second here) sends the run to the worker.
    NurtureEnrollment.objects.filter(lead=lead).update(
        next_step_at=timezone.now() - timedelta(minutes=1)
    )
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.create(
        name="nurture in this test",
        task="assignment.nurture_run_due",
        interval=every_second,
        queue=celery_worker.queue,
    )

    assert wait_for(lambda: len(smtp_server.messages) >= 2, timeout=90)
    # Beat keeps ticking; nothing is sent twice.
    wait_for(lambda: False, timeout=5)
    assert len(smtp_server.messages) == 2
    assert "Three things our customers" in smtp_server.messages[1]["data"]
    assert NurtureStepRun.objects.filter(enrollment__lead=lead).count() == 2
