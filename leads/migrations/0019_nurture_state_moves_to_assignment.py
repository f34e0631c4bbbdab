"""The lead's nurture fields go: its open enrollment (assignment.NurtureEnrollment) is its
current sequence. It waits for assignment 0010, which closes the enrollments these fields no
longer pointed at; that is the last time a migration of leads waits for one of assignment."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0018_open_tasks_follow_owner"),
        ("assignment", "0010_nurture_one_open_enrollment"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="lead_nurture_idx"),
        migrations.RemoveField(model_name="lead", name="nurture_next_step_at"),
        migrations.RemoveField(model_name="lead", name="nurture_sequence"),
    ]
