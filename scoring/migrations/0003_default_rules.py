"""The seed's scoring, shipped as editable rows so a new install scores from day one."""

from django.db import migrations

RULES = [
    # name, category, field, operator, value, points, tier
    ("Title: Director", "demographic", "title", "contains", "Director", 10, ""),
    ("Title: VP", "demographic", "title", "contains", "VP", 15, ""),
    ("Title: C-level", "demographic", "title", "contains", "C-level", 20, ""),
    ("Email: .edu", "demographic", "email", "ends_with", ".edu", 5, ""),
    ("Email: .gov", "demographic", "email", "ends_with", ".gov", 10, ""),
    ("Company size: over 1,000", "firmographic", "employee_count", "gt", "1000", 15, "company_size"),
    ("Company size: over 100", "firmographic", "employee_count", "gt", "100", 10, "company_size"),
    ("Company size: over 10", "firmographic", "employee_count", "gt", "10", 5, "company_size"),
    ("Revenue: over 10M", "firmographic", "annual_revenue", "gt", "10000000", 15, "revenue"),
    ("Revenue: over 1M", "firmographic", "annual_revenue", "gt", "1000000", 10, "revenue"),
    ("Target industry", "firmographic", "industry", "in", "Technology,Finance,Healthcare", 10, ""),
    ("Email opened", "behavioral", "activity_type", "equals", "email_opened", 2, ""),
    ("Email clicked", "behavioral", "activity_type", "equals", "email_clicked", 5, ""),
    ("Page viewed", "behavioral", "activity_type", "equals", "page_viewed", 1, ""),
    ("Form submitted", "behavioral", "activity_type", "equals", "form_submitted", 10, ""),
    ("Demo requested", "behavioral", "activity_type", "equals", "demo_requested", 20, ""),
]
BANDS = [("A+", 90), ("A", 80), ("B", 70), ("C", 60), ("D", 50), ("F", 0)]


def create_defaults(apps, schema_editor):
    ScoringRule = apps.get_model("scoring", "ScoringRule")
    GradeBand = apps.get_model("scoring", "GradeBand")
    ScoringSettings = apps.get_model("scoring", "ScoringSettings")
    for name, category, field, operator, value, points, tier in RULES:
        ScoringRule.objects.get_or_create(
            name=name,
            defaults={
                "category": category,
                "field": field,
                "operator": operator,
                "value": value,
                "points": points,
                "tier": tier,
            },
        )
    for grade, min_score in BANDS:
        GradeBand.objects.get_or_create(grade=grade, defaults={"min_score": min_score})
    ScoringSettings.objects.get_or_create(pk=1, defaults={"qualify_threshold": 80})


def remove_defaults(apps, schema_editor):
    apps.get_model("scoring", "ScoringRule").objects.filter(name__in=[r[0] for r in RULES]).delete()
    apps.get_model("scoring", "GradeBand").objects.filter(grade__in=[b[0] for b in BANDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_rule_categories_tiers_bands")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
