"""Writes of scores. Scoring owns a lead's score, grade and automatic qualification."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm import task_names
from crm.effects import task_enqueue_on_commit, tasks_enqueue_on_commit
from leads.models import Lead
from leads.services import lead_score_write

from .engine import LeadScore, activity_counts, lead_score_compute
from .models import RescoreState
from .rescore import RescoreSummary, leads_rescore_sql
from .rules import RuleSet


def lead_score(*, lead_id: UUID | str, now: datetime | None = None) -> LeadScore | None:
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
        lead_score_write(
            lead=lead,
            score=result.score,
            grade=result.grade,
            threshold=rules.qualify_threshold,
            now=now,
        )
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
    now: datetime | None = None,
) -> RescoreSummary:
    """Rescore every lead (or those touched since `since`) set-based in the database."""
    started = time.perf_counter()
    options: dict[str, int] = {"chunk_size": chunk_size} if chunk_size else {}
    summary = leads_rescore_sql(
        RuleSet.load(),
        now=now or timezone.now(),
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
    leads_rescore_request()


# A running worker touches `running_since` after every chunk, seconds apart; a run not touched
# for this long died with its worker, and a request this old lost its message.
RESCORE_RUN_STALE = timedelta(minutes=10)


def rescore_state_locked() -> RescoreState:
    """The rescore state under its row lock, until the caller's transaction ends."""
    RescoreState.objects.get_or_create(pk=1)
    return RescoreState.objects.select_for_update().get(pk=1)


def rescore_running(state: RescoreState, now: datetime) -> bool:
    return state.running_since is not None and now - state.running_since < RESCORE_RUN_STALE


def leads_rescore_request(*, now: datetime | None = None) -> bool:
    """Ask for a full rescore, in the caller's transaction: it runs once that commits.

    A full rescore takes minutes at a million leads, so requests collapse: one already queued
    covers this one, and while one runs, the running worker goes once more when it is done,
    for every request made meanwhile. True if this call queued a run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        state = rescore_state_locked()
        if rescore_running(state, now):
            if state.requested_at is None:
                state.requested_at = now
                state.save(update_fields=["requested_at"])
            return False
        queued = (
            state.requested_at is not None
            and now - state.requested_at < RESCORE_RUN_STALE
            and state.running_since is None
        )
        if queued:
            return False
        # Nothing is owed, or what is owed was lost: its message (a request this old), or
        # the worker that was to run it (its run outlived any run).
        state.requested_at, state.running_since = now, None
        state.save(update_fields=["requested_at", "running_since"])
        task_enqueue_on_commit(task_names.LEADS_RESCORE)
    return True


def leads_rescore_run(
    *,
    only_if_owed: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[RescoreSummary] | None:
    """Rescore everyone, then again for as long as rescores were asked for meanwhile, one
    worker at a time. Returns the summary of each run; None if another worker is running,
    which has taken this request and will run it once it is done.

    `only_if_owed`: run only if a request is still waiting (a retry, whose request the running
    worker may have served already). The state row's lock is taken only to read and change the
    state, never held across a run; a request made while a run reads the rules is honoured by
    the run that follows. `options` go to leads_rescore (workers, chunk_size).
    """
    with transaction.atomic():
        state = rescore_state_locked()
        now = timezone.now()
        if rescore_running(state, now):
            state.requested_at = state.requested_at or now
            state.save(update_fields=["requested_at"])
            return None
        if only_if_owed and state.requested_at is None:
            return []
        state.requested_at, state.running_since = None, now
        state.save(update_fields=["requested_at", "running_since"])

    def heartbeat(done: int, total: int) -> None:
        # Alive: without this, a long run would look like one whose worker died.
        RescoreState.objects.filter(pk=1).update(running_since=timezone.now())
        if progress:
            progress(done, total)

    summaries: list[RescoreSummary] = []
    try:
        while True:
            summaries.append(leads_rescore(progress=heartbeat, **options))
            with transaction.atomic():
                state = rescore_state_locked()
                again = state.requested_at is not None
                state.requested_at = None
                state.running_since = timezone.now() if again else None
                state.save(update_fields=["requested_at", "running_since"])
            if not again:
                return summaries
    except BaseException:
        # Let the next run start at once, and keep a request made meanwhile: it queued nothing.
        with transaction.atomic():
            state = rescore_state_locked()
            state.running_since = None
            state.save(update_fields=["running_since"])
            if state.requested_at is not None:
                task_enqueue_on_commit(task_names.LEADS_RESCORE)
        raise
