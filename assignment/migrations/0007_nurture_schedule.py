"""Runs the nurture steps that are due every five minutes; ops can edit it in admin."""

from django.db import migrations

# The Celery task this schedule runs (crm.checks verifies it is registered).
SCHEDULED_TASK = "assignment.nurture_run_due"

TASK_NAME = "Run due nurture steps"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": SCHEDULED_TASK, "interval": every, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assignment", "0006_default_nurture"),
        ("django_celery_beat", "0016_alter_crontabschedule_timezone"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
