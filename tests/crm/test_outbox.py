"""The outbox: side effects are written with the change, published after it, and run once."""

import threading
from datetime import timedelta

import pytest
from celery import current_app
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.test import override_settings

from crm.effects import task_enqueue_on_commit
from crm.models import ConsumedMessage, DeadLetter, Notification, OutboxMessage
from crm.notifications import notification_queue
from crm.outbox import outbox_publish, outbox_relay
from leads.models import Lead, LeadActivity
from tests import tasks as tests_tasks
from tests.celery_worker import broker_use
from tests.conftest import requires_postgres
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

TOUCH = ["tests.lead_touch"]
NO_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def touched(lead) -> int:
    return LeadActivity.objects.filter(lead=lead, description="touched").count()


@pytest.fixture
def broker_down(settings):
    """Celery publishes to a broker that refuses connections, as when Redis is stopped."""
    app = current_app
    saved = (app.conf.task_always_eager, app.conf.broker_write_url)
    app.conf.task_always_eager = False
    broker_use(NO_BROKER)
    yield
    app.conf.task_always_eager = saved[0]
    broker_use(saved[1])


@override_settings(LEAD_CHANGED_TASKS=TOUCH)
def test_a_capture_writes_its_side_effects_with_it_and_publishes_them_after_commit(
    capture_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = capture_client.post("/api/v1/capture/", {"email": "o@x.com"}, format="json")
    lead = Lead.objects.get(email="o@x.com")

    assert response.status_code == 201
    pending = OutboxMessage.objects.get()
    assert (pending.task, pending.args) == ("tests.lead_touch", [str(lead.pk)])
    assert touched(lead) == 0  # nothing runs before the commit

    for callback in callbacks:
        callback()

    assert touched(lead) == 1
    assert not OutboxMessage.objects.exists()


@override_settings(LEAD_CHANGED_TASKS=TOUCH)
def test_a_capture_that_rolls_back_leaves_no_outbox_row_and_runs_no_task(
    capture_client, monkeypatch, django_capture_on_commit_callbacks
):
    from leads.services import capture

    written = capture.lead_changed

    def fail_after_writing(lead):
        written(lead)  # the outbox row is written...
        raise RuntimeError("...and then the transaction fails")

    monkeypatch.setattr(capture, "lead_changed", fail_after_writing)
    capture_client.raise_request_exception = False

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = capture_client.post("/api/v1/capture/", {"email": "rb@x.com"}, format="json")

    assert response.status_code == 500
    assert not Lead.objects.filter(email="rb@x.com").exists()
    assert not OutboxMessage.objects.exists()
    assert callbacks == []
    assert not LeadActivity.objects.filter(description="touched").exists()


@override_settings(LEAD_CHANGED_TASKS=TOUCH)
def test_with_the_broker_down_capture_answers_201_and_the_relay_publishes_later(
    capture_client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = capture_client.post("/api/v1/capture/", {"email": "down@x.com"}, format="json")
    lead = Lead.objects.get(email="down@x.com")

    assert response.status_code == 201
    pending = OutboxMessage.objects.get()
    assert pending.attempts == 1 and pending.last_error

    current_app.conf.task_always_eager = True  # the broker is back
    assert outbox_relay(grace=timedelta(0)) == 1

    assert touched(lead) == 1
    assert not OutboxMessage.objects.exists()
    assert outbox_relay() == 0


def test_the_relay_leaves_fresh_rows_to_the_kick_of_their_own_transaction():
    lead = LeadFactory()
    OutboxMessage.objects.create(task="tests.lead_touch", args=[str(lead.pk)])

    assert outbox_relay() == 0
    assert touched(lead) == 0


def test_a_message_published_twice_runs_once():
    lead = LeadFactory()
    message = OutboxMessage.objects.create(task="tests.lead_touch", args=[str(lead.pk)])
    copy = OutboxMessage(pk=message.pk, task=message.task, args=message.args)

    outbox_publish([message])
    outbox_publish([copy])  # a relay that died after publishing, before deleting the row

    assert touched(lead) == 1
    assert ConsumedMessage.objects.filter(pk=str(message.pk)).count() == 1


def test_a_transient_failure_is_retried_and_a_failed_run_does_not_count_as_consumed():
    lead = LeadFactory()
    message = OutboxMessage.objects.create(task="tests.flaky_touch", args=[str(lead.pk), 2])

    outbox_publish([message])

    # Two OSErrors, each rolled back with its dedupe row, then the third attempt runs.
    assert touched(lead) == 1
    assert tests_tasks.ATTEMPTS[str(lead.pk)] == 3
    assert not DeadLetter.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@requires_postgres
def test_concurrent_relays_skip_the_rows_another_relay_holds():
    leads = LeadFactory.create_batch(2)
    old = "2000-01-01T00:00:00Z"
    held, free = (
        OutboxMessage.objects.create(task="tests.lead_touch", args=[str(lead.pk)], created_at=old)
        for lead in leads
    )
    locked, release = threading.Event(), threading.Event()

    def other_relay():
        with transaction.atomic():
            list(OutboxMessage.objects.select_for_update().filter(pk=held.pk))
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    locked.wait(10)
    try:
        published = outbox_relay()
    finally:
        release.set()
        thread.join()

    assert published == 1
    assert touched(leads[1]) == 1 and touched(leads[0]) == 0
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [held.pk]


@pytest.mark.dead_letters
def test_a_task_failing_after_its_retries_is_kept_and_the_managers_are_told(
    manager, django_capture_on_commit_callbacks
):
    UserFactory(username="rep-z", role="rep", email="z@crm.test")
    lead = LeadFactory()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        task_enqueue_on_commit("tests.flaky_touch", str(lead.pk), 100)

    letter = DeadLetter.objects.get()
    assert letter.task == "tests.flaky_touch" and letter.args == [str(lead.pk), 100]
    assert "OSError" in letter.error
    assert (
        tests_tasks.ATTEMPTS[str(lead.pk)] == 1 + current_app.tasks["tests.flaky_touch"].max_retries
    )
    assert touched(lead) == 0
    told = [message for message in mail.outbox if "tests.flaky_touch" in message.subject]
    assert [message.to for message in told] == [[manager.email]]


def test_managers_see_failed_tasks_in_admin_and_send_them_again(
    admin_client, django_capture_on_commit_callbacks
):
    lead = LeadFactory()
    letter = DeadLetter.objects.create(
        task="tests.lead_touch", args=[str(lead.pk)], error="OSError: SMTP down"
    )
    client = admin_client

    listing = client.get("/admin/crm/deadletter/")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/admin/crm/deadletter/",
            {"action": "retry", "_selected_action": [letter.pk]},
            follow=True,
        )

    assert listing.status_code == 200 and "OSError: SMTP down" in listing.content.decode()
    assert sent.status_code == 200
    letter.refresh_from_db()
    assert letter.retried_at is not None
    assert touched(lead) == 1
    assert "1 task(s) sent again." in sent.content.decode()


@pytest.mark.dead_letters
def test_a_message_for_a_task_that_no_longer_exists_is_dead_lettered_and_blocks_nothing():
    lead = LeadFactory()
    old = "2000-01-01T00:00:00Z"
    OutboxMessage.objects.create(task="scoring.renamed_long_ago", args=[1], created_at=old)
    OutboxMessage.objects.create(task="tests.lead_touch", args=[str(lead.pk)], created_at=old)

    assert outbox_relay() == 2

    assert touched(lead) == 1
    assert not OutboxMessage.objects.exists()
    assert DeadLetter.objects.get().task == "scoring.renamed_long_ago"


def test_a_database_error_while_recording_the_message_is_retried(monkeypatch):
    lead = LeadFactory()
    calls = []
    real = ConsumedMessage.objects.get_or_create

    def flaky_get_or_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(ConsumedMessage.objects, "get_or_create", flaky_get_or_create)
    message = OutboxMessage.objects.create(task="tests.lead_touch", args=[str(lead.pk)])

    outbox_publish([message])

    assert len(calls) == 2
    assert touched(lead) == 1
    assert not DeadLetter.objects.exists()


@pytest.mark.dead_letters
def test_an_email_that_fails_for_good_is_kept_without_emailing_the_managers_about_it(
    manager, rep, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens: refused

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notification_queue(
            key="test:smtp-down",
            recipient=rep,
            template="leads/email/lead_assigned",
            context={"lead_id": "1", "lead_name": "Ada", "email": "ada@x.com", "score": 90},
        )

    assert DeadLetter.objects.get().task == "crm.notification_send"
    assert list(Notification.objects.values_list("key", flat=True)) == ["test:smtp-down"]


def test_beat_runs_the_relay_every_minute_from_a_schedule_ops_can_edit():
    from django_celery_beat.models import PeriodicTask

    relay = PeriodicTask.objects.get(task="crm.outbox_relay")

    assert relay.enabled
    assert (relay.interval.every, relay.interval.period) == (1, "minutes")
    assert relay.task in current_app.tasks
