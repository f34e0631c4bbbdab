"""Fewer writes for each lead a rescore changes, and time-ordered ids for new leads.

- The foreign keys to contact and nurture sequence get partial indexes: most leads have
  neither, and a partial index is not written for them.
- The history's lead column loses its database constraint, which looked up and locked the lead
  once for every row the history trigger wrote.
- New leads get UUID version 7 ids, in arrival order (no database change).

SQLite alters a column by building the table anew, which drops the table's triggers (and fails
while a trigger on another table names the one being built): the triggers of 0012 and 0014 are
dropped first and made again last, in both directions.
"""

import importlib

import django.db.models.deletion
import uuid6
from django.conf import settings
from django.db import migrations, models

TRIGGER_MIGRATIONS = (
    "leads.migrations.0012_lead_change_trigger",
    "leads.migrations.0014_lead_search",
)


def sqlite_triggers(kind: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for name in TRIGGER_MIGRATIONS:
            module = importlib.import_module(name)
            statements = module.SQLITE_DROP + (module.SQLITE if kind == "make" else [])
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


def orphan_changes_delete(apps, schema_editor):
    """Before the constraint comes back: history rows whose lead was deleted by SQL."""
    LeadChange = apps.get_model("leads", "LeadChange")
    Lead = apps.get_model("leads", "Lead")
    LeadChange.objects.exclude(lead_id__in=Lead.objects.values("pk")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assignment", "0009_rule_history_baseline"),
        ("conversion", "0003_company_name_unique"),
        ("leads", "0014_lead_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers("drop"), sqlite_triggers("make"), elidable=False),
        migrations.AlterField(
            model_name="lead",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="leads",
                to="conversion.contact",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="id",
            field=models.UUIDField(
                default=uuid6.uuid7, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="nurture_sequence",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="assignment.nurturesequence",
            ),
        ),
        migrations.AlterField(
            model_name="leadchange",
            name="lead",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="leads.lead",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, orphan_changes_delete, elidable=False),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("contact__isnull", False)),
                fields=["contact"],
                name="lead_contact_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("nurture_sequence__isnull", False)),
                fields=["nurture_sequence"],
                name="lead_nurture_idx",
            ),
        ),
        migrations.RunPython(sqlite_triggers("make"), sqlite_triggers("drop"), elidable=False),
    ]
