"""The lead's nurture fields go: its open enrollment (assignment.NurtureEnrollment) is its
current sequence. It waits for assignment 0010, which closes the enrollments these fields no
longer pointed at; that is the last time a migration of leads waits for one of assignment.

SQLite drops a column by building the table anew, which drops its triggers: those of 0012 and
0014 are dropped first and made again last, in both directions, as in 0015.
"""

import importlib

from django.db import migrations

sqlite_triggers = importlib.import_module("leads.migrations.0015_rescore_write_cost").sqlite_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0018_open_tasks_follow_owner"),
        ("assignment", "0010_nurture_one_open_enrollment"),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers("drop"), sqlite_triggers("make"), elidable=False),
        migrations.RemoveIndex(model_name="lead", name="lead_nurture_idx"),
        migrations.RemoveField(model_name="lead", name="nurture_next_step_at"),
        migrations.RemoveField(model_name="lead", name="nurture_sequence"),
        migrations.RunPython(sqlite_triggers("make"), sqlite_triggers("drop"), elidable=False),
    ]
