from django.db import migrations

STEPS = [("First follow-up", 1, "high"), ("Second follow-up", 7, "normal")]


def create_steps(apps, schema_editor):
    FollowUpStep = apps.get_model("leads", "FollowUpStep")
    for title, days, priority in STEPS:
        FollowUpStep.objects.get_or_create(
            title=title, defaults={"due_after_days": days, "priority": priority}
        )


def remove_steps(apps, schema_editor):
    apps.get_model("leads", "FollowUpStep").objects.filter(title__in=[s[0] for s in STEPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_ownership_followups")]

    operations = [migrations.RunPython(create_steps, remove_steps)]
