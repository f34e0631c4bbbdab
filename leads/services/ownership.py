"""Who owns a lead, and what the owner owes it: assignment, follow-up tasks, first response."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import User
from crm.notifications import notification_queue
from crm.selectors import manager_list

from ..models import ActivityType, FollowUpStep, Lead, LeadActivity, LeadStatus, Task
from .nurture import leads_nurture_leave

# The rep activities that count as the first response to a new lead.
RESPONSE_TYPES = frozenset({ActivityType.CALL, ActivityType.EMAIL_SENT, ActivityType.MEETING})


def user_label(user: User) -> str:
    return user.get_full_name() or user.get_username()


def lead_assign(
    *,
    lead: Lead,
    to: User | None,
    by: User | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Lead:
    """Give the lead to `to` (or to nobody), with its timeline entry, tasks and email.

    Open tasks follow the lead to its new owner, or to nobody when it is unassigned. A lead's
    first owner gets the follow-up tasks of the schedule; a later one takes over the open
    tasks instead. The new owner is emailed once the assignment commits.
    Callers hold the lead's row lock, or get it here.
    """
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        previous = lead.assigned_to
        if previous == to:
            return lead
        lead.assigned_to = to
        lead.assigned_at = now if to else None
        lead.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
        description = f"Assigned to {user_label(to)}" if to else "Unassigned"
        activity = LeadActivity.objects.create(
            lead=lead,
            type=ActivityType.ASSIGNED,
            description=f"{description}: {reason}" if reason else description,
            metadata={
                "assigned_to": to.pk if to else None,
                "previous": previous.pk if previous else None,
                "by": by.pk if by else None,
            },
            created_by=by,
            created_at=now,
        )
        tasks_follow_owner(lead=lead, to=to)
        if to is None:
            return lead
        leads_nurture_leave(lead_ids=[lead.pk])  # sales has it now
        first_owner = not (
            LeadActivity.objects.filter(lead=lead, type=ActivityType.ASSIGNED)
            .exclude(pk=activity.pk)
            .exists()
        )
        if first_owner:
            follow_ups_create(lead=lead, owner=to, now=now)
        notification_queue(
            key=f"lead-assigned:{activity.pk}",
            recipient=to,
            template="leads/email/lead_assigned",
            context=lead_email_context(lead),
        )
    return lead


def lead_email_context(lead: Lead) -> dict[str, str | int]:
    """What an email about a lead shows (to its new owner, or to the managers).

    Stored with the notification and rendered later, so only plain JSON values: the email
    tells what the lead was when the event happened.
    """
    return {
        "lead_id": str(lead.pk),
        "lead_name": lead.full_name or lead.email,
        "company": lead.company,
        "score": lead.score,
        "grade": lead.grade,
        "email": lead.email,
    }


def lead_escalation_record(*, lead: Lead, hours: int, now: datetime) -> Lead:
    """Record that the owner missed the first-response SLA: a timeline entry naming them, and
    the mark that keeps the lead from being escalated again.

    Callers hold the lead's row lock and have loaded its owner.
    """
    late = lead.assigned_to
    if late is None:
        raise ValueError("Only an assigned lead can miss its response time.")
    with transaction.atomic():
        LeadActivity.objects.create(
            lead=lead,
            type=ActivityType.ESCALATED,
            description=f"No response from {user_label(late)} in {hours} hours; managers told.",
            metadata={"owner": late.pk, "hours": hours},
            created_at=now,
        )
        lead.response_escalated_at = now
        # update(), not save(): the lead is not otherwise changed, so updated_at stays.
        Lead.objects.filter(pk=lead.pk).update(response_escalated_at=now)
    return lead


def tasks_follow_owner(*, lead: Lead, to: User | None) -> int:
    """Hand the lead's open tasks to its new owner, or to nobody when it is unassigned.

    A task stays only with a manager who took it on: managers see every lead, so it stays
    within their reach. Anyone else's would be left on a lead they can no longer open.
    """
    return (
        Task.objects.filter(lead=lead, completed_at__isnull=True)
        .exclude(owner__in=manager_list())
        .exclude(owner=to)
        .update(owner=to)
    )


def follow_ups_create(*, lead: Lead, owner: User, now: datetime) -> list[Task]:
    steps = FollowUpStep.objects.filter(active=True)
    return Task.objects.bulk_create(
        Task(
            lead=lead,
            owner=owner,
            title=step.title,
            priority=step.priority,
            due_at=now + timedelta(days=step.due_after_days),
        )
        for step in steps
    )


def lead_response_record(*, lead: Lead, at: datetime) -> bool:
    """Mark the owner's first response; later ones change nothing. True if this was it."""
    return bool(
        Lead.objects.filter(pk=lead.pk, first_response_at__isnull=True, assigned_to__isnull=False)
        .exclude(lead_status__in=[LeadStatus.CONVERTED])
        .update(first_response_at=at)
    )


def task_complete(*, task: Task, by: User) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("lead").get(pk=task.pk)
        if task.completed_at is not None:
            return task
        task.completed_at = timezone.now()
        task.save(update_fields=["completed_at"])
        LeadActivity.objects.create(
            lead=task.lead,
            type=ActivityType.NOTE,
            description=f"Completed task: {task.title}",
            metadata={"task": str(task.pk)},
            created_by=by,
        )
    return task


def tasks_close_open(*, lead: Lead) -> int:
    """Close the lead's open tasks when nothing is owed any more (converted, disqualified)."""
    return Task.objects.filter(lead=lead, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
