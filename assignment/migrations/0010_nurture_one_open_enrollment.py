"""A lead's nurture state moves from leads_lead to its open enrollment (exited_at IS NULL).

Before this, leads.Lead.nurture_sequence said which sequence held a lead and a lead that
left nurturing only cleared it; the runner closed the enrollment lazily, the next time the
step fell due. Those enrollments close here, with the reason the runner would have given
(its "left" when the lead itself could still be nurtured), and the lead's timeline says so.
Then at most one enrollment per lead may be open. leads 0019 drops the lead's fields after
this: it is the last migration of one app that waits for the other's.
"""

from collections import defaultdict

from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def exit_reason(row: dict) -> str:
    """The old runner's reason (assignment/nurture.py exit_reason), frozen here."""
    if row["lead__do_not_email"]:
        return "unsubscribed"
    if row["lead__converted"] or row["lead__lead_status"] == "converted":
        return "converted"
    if row["lead__lead_status"] == "unqualified":
        return "disqualified"
    if row["lead__qualified"]:
        return "qualified"
    if row["lead__assigned_to_id"]:
        return "assigned"
    return "left"


def close_stale_enrollments(apps, schema_editor):
    Enrollment = apps.get_model("assignment", "NurtureEnrollment")
    LeadActivity = apps.get_model("leads", "LeadActivity")
    now = timezone.now()
    rows = Enrollment.objects.filter(exited_at__isnull=True).values(
        "pk",
        "lead_id",
        "sequence_id",
        "sequence__name",
        "lead__nurture_sequence_id",
        "lead__do_not_email",
        "lead__converted",
        "lead__lead_status",
        "lead__qualified",
        "lead__assigned_to_id",
    )
    stale = [row for row in rows.iterator() if row["lead__nurture_sequence_id"] != row["sequence_id"]]
    for start in range(0, len(stale), BATCH):
        batch = stale[start : start + BATCH]
        by_reason = defaultdict(list)
        for row in batch:
            row["reason"] = exit_reason(row)
            by_reason[row["reason"]].append(row["pk"])
        for reason, pks in by_reason.items():
            Enrollment.objects.filter(pk__in=pks).update(
                exited_at=now, exit_reason=reason, next_step_at=None
            )
        LeadActivity.objects.bulk_create(
            LeadActivity(
                lead_id=row["lead_id"],
                type="nurture_exited",
                description=f"Nurture {row['sequence__name']} ended: {row['reason']}",
                metadata={},
                created_at=now,
            )
            for row in batch
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assignment", "0009_rule_history_baseline"),
        ("leads", "0018_open_tasks_follow_owner"),
    ]

    operations = [
        migrations.RunPython(close_stale_enrollments, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="nurtureenrollment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("exited_at__isnull", True)),
                fields=("lead",),
                name="nurture_one_open_per_lead",
            ),
        ),
        # The conditions field is written once for both kinds of rule (assignment.conditions):
        # a sequence's help text becomes the rule's. No SQL.
        migrations.AlterField(
            model_name="historicalnurturesequence",
            name="conditions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='A list of conditions that must all hold, e.g. [{"field": '
                '"employee_count", "operator": "gt", "value": "1000"}, {"field": "industry", '
                '"operator": "equals", "value": "Finance"}]. The same fields and operators as '
                "scoring rules.",
            ),
        ),
        migrations.AlterField(
            model_name="nurturesequence",
            name="conditions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='A list of conditions that must all hold, e.g. [{"field": '
                '"employee_count", "operator": "gt", "value": "1000"}, {"field": "industry", '
                '"operator": "equals", "value": "Finance"}]. The same fields and operators as '
                "scoring rules.",
            ),
        ),
    ]
