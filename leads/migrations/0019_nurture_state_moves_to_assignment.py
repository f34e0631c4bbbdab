"""The lead's nurture fields go: its open enrollment (assignment.NurtureEnrollment) is its
current sequence. It waits for assignment 0010, which closes the enrollments these fields no
longer pointed at; that is the last time a migration of leads waits for one of assignment.

SQLite drops a column by building the table anew, which drops its triggers: those of 0012 and
0014 are dropped first and made again last, in both directions, as in 0015.

Migrating back gives each lead its open enrollment's sequence and next step again: the code of
before reads them from the lead, and its runner would close every enrollment its lead no
longer names.
"""

import importlib

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

sqlite_triggers = importlib.import_module("leads.migrations.0015_rescore_write_cost").sqlite_triggers


def nurture_fields_restore(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Enrollment = apps.get_model("assignment", "NurtureEnrollment")
    # At most one open enrollment per lead (assignment 0010's constraint).
    open_ = Enrollment.objects.filter(lead=OuterRef("pk"), exited_at__isnull=True)
    Lead.objects.filter(Exists(open_)).update(
        nurture_sequence=Subquery(open_.values("sequence")[:1]),
        nurture_next_step_at=Subquery(open_.values("next_step_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0018_open_tasks_follow_owner"),
        ("assignment", "0010_nurture_one_open_enrollment"),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers("drop"), sqlite_triggers("make"), elidable=False),
        # Backwards this runs after the fields are back, before the triggers are.
        migrations.RunPython(migrations.RunPython.noop, nurture_fields_restore, elidable=False),
        migrations.RemoveIndex(model_name="lead", name="lead_nurture_idx"),
        migrations.RemoveField(model_name="lead", name="nurture_next_step_at"),
        migrations.RemoveField(model_name="lead", name="nurture_sequence"),
        migrations.RunPython(sqlite_triggers("make"), sqlite_triggers("drop"), elidable=False),
    ]
