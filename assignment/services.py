"""Routing: which rep gets a sales-ready lead, and escalation when nobody responds."""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from crm.conditions import ConditionError
from crm.models import User
from crm.notifications import managers_notify
from crm.selectors import lead_assignee_list
from leads.models import ActivityType, Lead
from leads.selectors import lead_open_q
from leads.services import lead_assign, lead_email_context, lead_escalation_record

from .models import AssignmentRule, RoutingSettings, rule_conditions_parse
from .nurture.enrollment import nurture_enroll

logger = logging.getLogger(__name__)

ESCALATION_BATCH = 200


def reps_available_lock() -> list[User]:
    """Lock and return the reps routing may give a lead to now: those who may receive a lead
    and are not away. Locked in pk order so concurrent routers take turns without deadlock."""
    return list(lead_assignee_list().select_for_update().filter(is_available=True).order_by("pk"))


def rep_pick(candidates: list[User]) -> User | None:
    """The candidate with the fewest open leads, under their cap; ties to the longest idle.

    Callers hold the candidates' row locks (reps_available_lock), so two routers never both see
    the same counts and pick the same rep.
    """
    if not candidates:
        return None
    loads = {
        row["pk"]: row
        for row in User.objects.filter(pk__in=[rep.pk for rep in candidates])
        .annotate(
            open_leads=Count("leads", filter=lead_open_q("leads__")),
            last_assigned=Max("leads__assigned_at"),
        )
        .values("pk", "open_leads", "last_assigned")
    }
    never = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    eligible = [
        rep
        for rep in candidates
        if rep.max_open_leads is None or loads[rep.pk]["open_leads"] < rep.max_open_leads
    ]
    if not eligible:
        return None
    return min(
        eligible,
        key=lambda rep: (
            loads[rep.pk]["open_leads"],
            loads[rep.pk]["last_assigned"] or never,
            rep.pk,
        ),
    )


def rule_candidates(lead: Lead, available: list[User]) -> tuple[AssignmentRule | None, list[User]]:
    """The first active rule the lead meets that has an available rep, and its reps."""
    by_pk = {rep.pk: rep for rep in available}
    for rule in (
        AssignmentRule.objects.filter(active=True).select_related("team").order_by("priority", "pk")
    ):
        try:
            conditions = rule_conditions_parse(rule.conditions)
        except ConditionError as exc:
            logger.warning("Skipping assignment rule %s (%s): %s", rule.pk, rule.name, exc)
            continue
        if not all(condition.matches(lead) for condition in conditions):
            continue
        if rule.assignee_id:
            members = [rule.assignee_id]
        elif rule.team and rule.team.active:
            members = list(rule.team.members.values_list("pk", flat=True))
        else:
            members = []
        reps = [by_pk[pk] for pk in members if pk in by_pk]
        if reps:
            return rule, reps
    return None, available


def lead_route(*, lead_id: UUID | str, now: datetime | None = None) -> User | None:
    """Hand an unassigned lead to a rep if it is ready for sales; return the rep.

    A chat lead goes at once to an available rep, whatever its score; any other lead only
    once its score reaches the sales-ready threshold (below it, it waits for nurturing).
    """
    settings = RoutingSettings.load()
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update()
            .filter(lead_open_q(), pk=lead_id, assigned_to__isnull=True)
            .first()
        )
        if lead is None:
            return None
        chat = lead.activities.filter(type=ActivityType.CHAT_STARTED).exists()
        if not chat and lead.score < settings.sales_ready_threshold:
            nurture_enroll(lead=lead, now=now)  # not ready for sales: nurture it meanwhile
            return None
        available = reps_available_lock()
        rule, candidates = rule_candidates(lead, available)
        rep = rep_pick(candidates)
        if rep is None and rule is not None:
            rep = rep_pick(available)  # the rule's reps are full: fall back to everyone
        if rep is None:
            managers_notify_about_lead(
                key=f"no-rep:{lead.pk}",
                template="assignment/email/no_rep_available",
                lead=lead,
            )
            return None
        reason = f"rule {rule.name}" if rule else ("live chat" if chat else "round-robin")
        lead_assign(lead=lead, to=rep, reason=reason, now=now)
    return rep


ROUTE_BATCH = 500


def leads_route_ready(*, limit: int = ROUTE_BATCH) -> tuple[int, int]:
    """Route the unassigned leads that are ready (after a bulk rescore), hottest first.

    Returns (examined, routed); a caller that examined a full batch and routed some goes on.
    """
    threshold = RoutingSettings.load().sales_ready_threshold
    ready = list(
        Lead.objects.filter(lead_open_q(), assigned_to__isnull=True, score__gte=threshold)
        .order_by("-score", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    routed = sum(1 for lead_id in ready if lead_route(lead_id=lead_id))
    return len(ready), routed


def managers_notify_about_lead(*, key: str, template: str, lead: Lead) -> None:
    """Email every active manager about the lead, once per manager and `key`."""
    managers_notify(key=key, template=template, context=lead_email_context(lead))


def leads_escalate_overdue(*, now: datetime | None = None) -> int:
    """Leads assigned longer than the SLA with no first response: tell the managers and
    hand each to the next rep, once. Returns how many were escalated."""
    now = now or timezone.now()
    deadline = now - timedelta(hours=RoutingSettings.load().response_sla_hours)
    overdue = (
        Lead.objects.filter(
            lead_open_q(),
            assigned_to__isnull=False,
            assigned_at__lt=deadline,
            first_response_at__isnull=True,
            response_escalated_at__isnull=True,
        )
        .order_by("assigned_at")
        .values_list("pk", flat=True)[:ESCALATION_BATCH]
    )
    return sum(
        1 for lead_id in overdue if lead_escalate(lead_id=lead_id, deadline=deadline, now=now)
    )


def lead_escalate(*, lead_id: UUID | str, deadline: datetime, now: datetime) -> bool:
    """Escalate one overdue lead unless someone else has it locked or it was answered
    meanwhile; True if this call escalated it."""
    with transaction.atomic():
        # skip_locked: a lead being worked on right now is looked at on the next run.
        lead = (
            Lead.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assigned_to")
            .filter(
                pk=lead_id,
                assigned_at__lt=deadline,
                first_response_at__isnull=True,
                response_escalated_at__isnull=True,
            )
            .first()
        )
        if lead is None or lead.assigned_to is None or lead.assigned_at is None:
            return False
        late = lead.assigned_to
        assigned_at = lead.assigned_at
        hours = int((now - assigned_at).total_seconds() // 3600)
        lead_escalation_record(lead=lead, hours=hours, now=now)
        managers_notify_about_lead(
            key=f"sla:{lead.pk}:{assigned_at.isoformat()}",
            template="assignment/email/response_overdue",
            lead=lead,
        )
        others = [rep for rep in reps_available_lock() if rep.pk != late.pk]
        rep = rep_pick(others)
        if rep is not None:
            lead_assign(lead=lead, to=rep, reason=f"no response in {hours} hours", now=now)
    return True
