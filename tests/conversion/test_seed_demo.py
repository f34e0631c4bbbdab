"""The demo's story moved back in time: nurture rows and tasks move with the timeline."""

from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from assignment.models import NurtureEnrollment, NurtureStep, NurtureStepRun
from leads.models import ActivityType, Lead, LeadActivity, Task
from leads.services import DISCOVERY_CALL
from leads.services.qualification import DISCOVERY_CALL_DUE

# Transactions that commit: the services hand routing and nurturing to tasks run on commit.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo(default_nurture_sequence: None) -> None:
    call_command("seed_demo", "--leads", "60", "--allow-production", stdout=StringIO())


def activity_times(kind: str) -> dict:
    times = defaultdict(list)
    for lead_id, at in LeadActivity.objects.filter(type=kind).values_list("lead_id", "created_at"):
        times[lead_id].append(at)
    return times


def test_seed_demo_nurture_rows_follow_the_timeline(demo):
    enrollments = list(NurtureEnrollment.objects.order_by("pk"))
    runs = defaultdict(list)
    for run in NurtureStepRun.objects.select_related("step"):
        runs[run.enrollment_id].append(run)
    enrolled = activity_times(ActivityType.NURTURE_ENROLLED)
    steps = activity_times(ActivityType.NURTURE_STEP)
    delays = {(s.sequence_id, s.position): s.delay_hours for s in NurtureStep.objects.all()}
    assert any(e.exited_at for e in enrollments) and any(not e.exited_at for e in enrollments)
    assert sum(map(len, runs.values())) > 0

    for enrollment in enrollments:
        assert enrollment.enrolled_at in enrolled[enrollment.lead_id], enrollment.pk
        if enrollment.exited_at is not None:
            assert enrollment.enrolled_at <= enrollment.exited_at, enrollment.pk
        for run in runs[enrollment.pk]:
            assert enrollment.enrolled_at <= run.ran_at, run.pk
            assert enrollment.exited_at is None or run.ran_at <= enrollment.exited_at, run.pk
            assert run.ran_at in steps[enrollment.lead_id], run.pk
            if run.sent_at is not None:
                assert run.ran_at <= run.sent_at, run.pk
                assert enrollment.exited_at is None or run.sent_at <= enrollment.exited_at, run.pk
        if enrollment.exited_at is None:
            # The next step is due its delay after the last step that ran (or the enrolment).
            last = max((r.ran_at for r in runs[enrollment.pk]), default=enrollment.enrolled_at)
            delay = delays[(enrollment.sequence_id, enrollment.next_position)]
            assert enrollment.next_step_at == last + timedelta(hours=delay), enrollment.pk


def test_seed_demo_tasks_are_due_with_the_story_that_made_them(demo):
    now = timezone.now()
    qualified = activity_times(ActivityType.QUALIFIED)
    calls = list(Task.objects.filter(title=DISCOVERY_CALL).select_related("lead"))
    assert calls

    for call in calls:
        # The service makes the call due a fixed time after the qualification that made it;
        # a lead qualified again later (by BANT after its score) keeps that first call.
        at = call.due_at - DISCOVERY_CALL_DUE
        assert at in qualified[call.lead_id], call.pk
        assert call.lead.qualified_at is None or at <= call.lead.qualified_at, call.pk
    for task in Task.objects.select_related("lead"):
        assert task.created_at <= task.due_at, task.pk
        assert task.created_at <= now and task.created_at >= task.lead.created_at, task.pk
        assert task.completed_at is None or task.completed_at >= task.created_at, task.pk
    converted = Lead.objects.filter(converted=True)
    assert converted.exists()
    for lead in converted:
        for task in lead.tasks.all():
            assert task.completed_at is not None and task.completed_at <= lead.converted_at
