"""One 'created' history record for every rule, band and setting that existed before history
was kept, so the first change made in admin shows what it changed."""

from django.db import migrations
from django.utils import timezone

MODELS = ["ScoringRule", "GradeBand", "ScoringSettings"]


def record_baseline(apps, schema_editor):
    now = timezone.now()
    for name in MODELS:
        model = apps.get_model("scoring", name)
        history = apps.get_model("scoring", f"Historical{name}")
        recorded = history.objects.values("id")
        fields = [field.attname for field in model._meta.concrete_fields]
        history.objects.bulk_create(
            history(
                **{field: getattr(row, field) for field in fields},
                history_date=now,
                history_type="+",
                history_change_reason="As it was when history began",
            )
            for row in model.objects.exclude(pk__in=recorded)
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0005_rule_history_allow_list")]

    operations = [migrations.RunPython(record_baseline, migrations.RunPython.noop)]
