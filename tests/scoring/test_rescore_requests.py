"""A full rescore takes minutes at a million leads: rule changes ask for one, and asking many
times, at once or while one runs, costs at most one more."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from crm.models import OutboxMessage
from leads.models import Lead
from scoring import services
from scoring.models import RescoreState, ScoringRule
from scoring.services import leads_rescore_request, leads_rescore_run, scoring_rules_changed

from ..conftest import requires_postgres
from ..factories import LeadFactory

pytestmark = pytest.mark.django_db


def rescores_queued() -> int:
    return OutboxMessage.objects.filter(task="scoring.leads_rescore").count()


@pytest.fixture
def runs(monkeypatch):
    """Count full rescores, running `during(run number)` inside each one."""
    real = services.leads_rescore
    calls = []

    def leads_rescore(**kwargs):
        calls.append(kwargs)
        during = getattr(runs_during, "action", None)
        if during:
            during(len(calls))
        return real(**kwargs)

    def runs_during(action):
        runs_during.action = action

    monkeypatch.setattr(services, "leads_rescore", leads_rescore)
    runs_during.calls = calls
    return runs_during


def test_saving_every_rule_from_the_changelist_queues_one_rescore(
    admin_client, django_capture_on_commit_callbacks
):
    rules = list(ScoringRule.objects.all())
    assert len(rules) == 16
    form = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "_save": "Save",
    }
    for i, rule in enumerate(rules):
        form |= {f"form-{i}-id": str(rule.pk), f"form-{i}-points": str(rule.points + 1)}
        if rule.active:
            form[f"form-{i}-active"] = "on"

    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post("/admin/scoring/scoringrule/", form)

    assert response.status_code == 302
    assert sorted(ScoringRule.objects.values_list("points", flat=True)) == sorted(
        rule.points + 1 for rule in rules
    )
    assert rescores_queued() == 1


def test_deleting_rules_in_bulk_queues_one_rescore(
    admin_client, django_capture_on_commit_callbacks
):
    ids = [str(pk) for pk in ScoringRule.objects.values_list("pk", flat=True)[:5]]

    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            "/admin/scoring/scoringrule/",
            {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        )

    assert ScoringRule.objects.count() == 11
    assert rescores_queued() == 1


def test_a_rescore_asked_for_again_before_it_starts_is_queued_once():
    assert leads_rescore_request() is True
    assert leads_rescore_request() is False
    scoring_rules_changed()

    assert rescores_queued() == 1


def test_requests_made_while_a_rescore_runs_make_exactly_one_more_run(runs):
    lead = LeadFactory(title="VP", company="", industry="")

    def during(run: int) -> None:
        if run == 1:
            for _ in range(3):
                scoring_rules_changed()
            ScoringRule.objects.filter(name="Title: VP").update(points=40)

    runs(during)

    assert len(leads_rescore_run()) == 2
    assert len(runs.calls) == 2
    assert rescores_queued() == 0  # the running worker took the requests itself
    assert Lead.objects.get(pk=lead.pk).score == 40  # the second run saw the new rules
    # Idle again: the next change queues a run.
    scoring_rules_changed()
    assert rescores_queued() == 1


def test_a_second_worker_leaves_its_run_to_the_one_already_running(runs):
    def during(run: int) -> None:
        if run == 1:
            # The nightly run, or a redelivered message, arrives on another worker.
            assert leads_rescore_run() is None

    runs(during)

    assert len(leads_rescore_run()) == 2
    assert len(runs.calls) == 2


@pytest.mark.parametrize("asked_meanwhile", [False, True])
def test_a_run_whose_worker_died_does_not_hold_up_rescores(runs, asked_meanwhile):
    now = timezone.now()
    RescoreState.objects.update_or_create(
        pk=1,
        defaults={
            "running_since": now - timedelta(minutes=30),
            # Asked for while it ran: the dead worker was to run it.
            "requested_at": now - timedelta(minutes=25) if asked_meanwhile else None,
        },
    )

    assert leads_rescore_request() is True
    assert leads_rescore_request() is False
    assert rescores_queued() == 1
    assert len(leads_rescore_run()) == 1


def test_a_failed_run_lets_the_next_one_start_and_keeps_requests_made_meanwhile(runs):
    def during(run: int) -> None:
        if run == 1:
            scoring_rules_changed()
            raise RuntimeError("database went away")

    runs(during)

    with pytest.raises(RuntimeError):
        leads_rescore_run()

    assert rescores_queued() == 1  # the request made during the failed run
    runs(None)
    assert len(leads_rescore_run()) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_and_requests_at_once_make_one_run_and_one_more(monkeypatch):
    """Real concurrency: a run on one connection, requests and a second worker on others."""
    started, release = threading.Event(), threading.Event()
    calls = []

    def leads_rescore(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            started.set()
            assert release.wait(10)

    monkeypatch.setattr(services, "leads_rescore", leads_rescore)
    results = {}

    def worker(name: str) -> None:
        try:
            done = leads_rescore_run()
            results[name] = None if done is None else len(done)
        finally:
            connections.close_all()

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert started.wait(10)
    for _ in range(3):
        with transaction.atomic():
            scoring_rules_changed()
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    second.join(10)
    release.set()
    first.join(10)

    assert results == {"first": 2, "second": None}
    assert len(calls) == 2
    assert rescores_queued() == 0
    state = RescoreState.objects.get()
    assert (state.requested_at, state.running_since) == (None, None)


def test_a_long_run_stays_alive_while_its_chunks_go_on():
    # Chunks of one lead; between chunks the run is made to look 11 minutes old, as a dead
    # worker's would. Each chunk's heartbeat makes it fresh again, so a request made between
    # chunks is left to the running worker rather than started beside it.
    for _ in range(3):
        LeadFactory()
    fresh, queued = [], []

    def progress(done: int, total: int) -> None:
        state = RescoreState.objects.get()
        fresh.append(timezone.now() - state.running_since < timedelta(minutes=1))
        if len(fresh) <= 3:  # during the first run only, or every run would ask for another
            queued.append(leads_rescore_request())
        RescoreState.objects.update(running_since=timezone.now() - timedelta(minutes=11))

    summaries = leads_rescore_run(progress=progress, chunk_size=1)

    assert len(fresh) >= 3 and all(fresh)
    assert not any(queued)
    assert len(summaries) == 2  # the request made during the run, run once after it
    assert rescores_queued() == 0


def test_a_waiting_retry_runs_only_what_is_still_owed(runs):
    assert leads_rescore_run(only_if_owed=True) == []
    assert runs.calls == []

    RescoreState.objects.update_or_create(pk=1, defaults={"requested_at": timezone.now()})
    assert len(leads_rescore_run(only_if_owed=True)) == 1


def test_the_task_waits_for_a_running_worker_and_takes_over_if_it_died(runs, monkeypatch):
    from celery.exceptions import Retry

    from scoring.tasks import leads_rescore_task

    now = timezone.now()
    RescoreState.objects.update_or_create(pk=1, defaults={"running_since": now})
    retried = {}

    def retry(**kwargs):
        retried.update(kwargs)
        raise Retry()

    monkeypatch.setattr(leads_rescore_task, "retry", retry)
    with pytest.raises(Retry):
        leads_rescore_task.run()
    assert retried["kwargs"] == {"waiting": True}
    assert RescoreState.objects.get().requested_at is not None
    assert runs.calls == []

    # The running worker died: its heartbeat stopped long enough ago.
    RescoreState.objects.filter(pk=1).update(running_since=now - timedelta(minutes=11))
    assert leads_rescore_task.run(waiting=True) == {"runs": 1}
