"""Open tasks left with a rep on a lead that has since moved are given to the lead's owner.

Until now an unassignment left the open tasks with the rep who lost the lead, and the next
owner took over only the tasks of the owner just before them. Those tasks are out of their old
owner's reach now (a rep reaches only tasks on leads they may see), so they go to whoever
owns the lead, or to nobody when no one does. A manager's own tasks stay theirs.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Q, Subquery


def open_tasks_follow_owner(apps, schema_editor):
    Task = apps.get_model("leads", "Task")
    Lead = apps.get_model("leads", "Lead")
    User = apps.get_model("crm", "User")
    managers = User.objects.filter(Q(role="manager") | Q(is_superuser=True)).values("pk")
    stranded = (
        Task.objects.filter(completed_at__isnull=True)
        .filter(Q(owner__isnull=True) | ~Q(owner__in=managers))
        .filter(
            Q(owner__isnull=True, lead__assigned_to__isnull=False)
            | Q(owner__isnull=False, lead__assigned_to__isnull=True)
            | (
                Q(owner__isnull=False, lead__assigned_to__isnull=False)
                & ~Q(owner=F("lead__assigned_to"))
            )
        )
    )
    owner = Lead.objects.filter(pk=OuterRef("lead_id")).values("assigned_to")[:1]
    Task.objects.filter(pk__in=stranded.values("pk")).update(owner=Subquery(owner))


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0017_idempotency_responses_trimmed"),
        ("crm", "0001_initial"),
    ]

    operations = [migrations.RunPython(open_tasks_follow_owner, migrations.RunPython.noop)]
