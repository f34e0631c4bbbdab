"""One 'created' history record for every rule, team, setting, sequence and step that existed
before history was kept, so the first change made in admin shows what it changed."""

from django.db import migrations
from django.utils import timezone

MODELS = ["AssignmentRule", "Team", "RoutingSettings", "NurtureSequence", "NurtureStep"]


def record_baseline(apps, schema_editor):
    now = timezone.now()
    for name in MODELS:
        model = apps.get_model("assignment", name)
        history = apps.get_model("assignment", f"Historical{name}")
        recorded = history.objects.values("id")
        fields = [field.attname for field in model._meta.concrete_fields]
        for row in model.objects.exclude(pk__in=recorded):
            record = history.objects.create(
                **{field: getattr(row, field) for field in fields},
                history_date=now,
                history_type="+",
                history_change_reason="As it was when history began",
            )
            if name == "Team":
                members = apps.get_model("assignment", "HistoricalTeam_members")
                members.objects.bulk_create(
                    members(history=record, team_id=row.pk, user_id=user_id)
                    for user_id in row.members.values_list("pk", flat=True)
                )


class Migration(migrations.Migration):
    dependencies = [("assignment", "0008_rule_history_allow_list")]

    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop)]
