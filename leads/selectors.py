"""Reads of leads, each scoped to what the asking user may see."""

from django.db.models import QuerySet

from crm.models import User

from .models import Lead, LeadActivity, Task


def lead_visible_to(user: User) -> QuerySet[Lead]:
    """Managers see every lead; a rep sees the leads assigned to them; anyone else none."""
    leads = Lead.objects.all()
    if user.is_manager:
        return leads
    if user.is_rep:
        return leads.filter(assigned_to=user)
    return leads.none()


def lead_activity_list(*, lead: Lead) -> QuerySet[LeadActivity]:
    return lead.activities.select_related("created_by").order_by("-created_at", "-pk")


def task_visible_to(user: User) -> QuerySet[Task]:
    """Managers see every task; a rep sees the tasks they own."""
    tasks = Task.objects.all()
    if user.is_manager:
        return tasks
    if user.is_rep:
        return tasks.filter(owner=user)
    return tasks.none()
