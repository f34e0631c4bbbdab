"""`manage.py check` fails when a side effect names a task no worker would run."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from crm.checks import task_names_used


def test_every_task_name_in_use_is_registered():
    call_command("check")  # raises SystemCheckError if one is not
    used = {name for name, _ in task_names_used()}
    # The schedule migrations are read too, not only the constants.
    assert {"crm.outbox_relay", "scoring.leads_rescore", "assignment.nurture_run_due"} <= used


def test_a_misspelt_task_in_a_setting_fails_the_check(settings):
    settings.LEAD_CHANGED_TASKS = ["scoring.lead_scroe"]
    with pytest.raises(
        SystemCheckError, match="settings.LEAD_CHANGED_TASKS names the task 'scoring.lead_scroe'"
    ):
        call_command("check")


def test_a_beat_schedule_entry_for_an_unknown_task_fails_the_check(settings):
    settings.CELERY_BEAT_SCHEDULE = {"nightly": {"task": "leads.nothing_here", "schedule": 60}}
    with pytest.raises(SystemCheckError, match="'leads.nothing_here'"):
        call_command("check")


@pytest.mark.django_db
def test_a_schedule_row_for_an_unknown_task_fails_the_database_check():
    call_command("check", databases=["default"])
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.create(name="Renamed job", task="scoring.rescore_all", interval=every)
    with pytest.raises(SystemCheckError, match="'Renamed job' runs 'scoring.rescore_all'"):
        call_command("check", databases=["default"])
