"""Writes of scores. Scoring owns a lead's score, grade and automatic qualification."""

import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.effects import task_enqueue_on_commit, tasks_enqueue_on_commit
from leads.models import Lead, LeadStatus

from .engine import LeadScore, activity_counts, lead_score_compute, qualifies
from .rescore import RescoreSummary, leads_rescore_sql
from .rules import RuleSet


def lead_score(*, lead_id, now: datetime | None = None) -> LeadScore | None:
    """Score one lead in Python: a fixed handful of queries, however long its history.

    Writes only what changed; None if the lead no longer exists.
    """
    now = now or timezone.now()
    rules = RuleSet.load()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return None
        result = lead_score_compute(lead, activity_counts(lead.pk, rules, now), rules)
        changes: dict = {}
        if lead.score != result.score:
            changes["score"] = result.score
        if lead.grade != result.grade:
            changes["grade"] = result.grade
        if qualifies(lead, result.score, rules):
            changes.update(qualified=True, qualified_at=now, lead_status=LeadStatus.QUALIFIED)
            # Qualified leads are sales' now, not nurturing's.
            changes.update(nurture_sequence=None, nurture_next_step_at=None)
        if changes:
            Lead.objects.filter(pk=lead.pk).update(**changes)
        tasks_enqueue_on_commit(settings.LEAD_SCORED_TASKS, str(lead.pk))
    return result


def lead_score_explain(*, lead: Lead, now: datetime | None = None) -> LeadScore:
    """Why a lead has its score: every rule that fires, under the rules as they are now."""
    now = now or timezone.now()
    rules = RuleSet.load()
    return lead_score_compute(lead, activity_counts(lead.pk, rules, now), rules)


def leads_rescore(
    *,
    since: datetime | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreSummary:
    """Rescore every lead (or those touched since `since`) set-based in the database."""
    started = time.perf_counter()
    options = {"chunk_size": chunk_size} if chunk_size else {}
    summary = leads_rescore_sql(
        RuleSet.load(),
        now=timezone.now(),
        since=since,
        workers=workers or settings.RESCORE_WORKERS,
        progress=progress,
        **options,
    )
    # Outside any transaction, the tasks go at once; inside one, when it commits.
    tasks_enqueue_on_commit(settings.LEADS_RESCORED_TASKS)
    return RescoreSummary(
        scanned=summary.scanned,
        changed=summary.changed,
        qualified=summary.qualified,
        seconds=time.perf_counter() - started,
    )


def scoring_rules_changed() -> None:
    """Rules, bands or the threshold changed: rescore everyone in the background."""
    task_enqueue_on_commit("scoring.leads_rescore")
