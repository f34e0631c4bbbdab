"""Checks for overdue first responses every 15 minutes, as a schedule ops can edit in admin."""

from django.db import migrations

# The Celery task this schedule runs (crm.checks verifies it is registered).
SCHEDULED_TASK = "assignment.leads_escalate_overdue"

TASK_NAME = "Escalate leads with no first response"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": SCHEDULED_TASK, "interval": every, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assignment", "0003_teams_routing_settings"),
        ("django_celery_beat", "0016_alter_crontabschedule_timezone"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
