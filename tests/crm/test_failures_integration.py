"""Side effects survive a stopped Redis and a killed worker: PostgreSQL, Redis, a real worker, SMTP.

The line for email: a worker killed before the SMTP server accepted the message is replaced
and the message redelivered, so the email goes out once; killed after the acceptance was
recorded (Notification.sent_at, committed with the consumed-message record), the redelivery
does nothing. A worker killed between the server's acceptance and that commit, a window of
one round trip to the database, would send it twice.
"""

from datetime import timedelta

import pytest
from django.db import transaction

from crm.models import ConsumedMessage, Notification, OutboxMessage
from crm.notifications import notification_queue
from crm.outbox import outbox_relay
from leads.models import FollowUpStep, Lead, LeadActivity, Task
from tests.celery_worker import broker_use, requires_broker, wait_for
from tests.conftest import requires_postgres
from tests.factories import UserFactory

pytestmark = [
    requires_postgres,
    requires_broker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOT = {
    "email": "ceo@bank.com",
    "title": "C-level VP Director",
    "employee_count": 5000,
    "industry": "Finance",
}


def relay_until_empty() -> bool:
    """What the beat relay does every minute, until nothing waits (the first publish after
    Redis came back may meet a dead pooled connection and wait for the next round)."""
    return wait_for(
        lambda: outbox_relay(grace=timedelta(0)) >= 0 and not OutboxMessage.objects.exists(),
        timeout=30,
        interval=0.5,
    )


def test_with_redis_stopped_capture_answers_201_and_each_side_effect_runs_once_when_it_is_back(
    redis_server, celery_worker_factory, smtp_server, capture_client
):
    rep = UserFactory(username="ann", email="ann@crm.test")
    broker_use(redis_server.url)
    redis_server.stop()

    response = capture_client.post("/api/v1/capture/", HOT, format="json")

    assert response.status_code == 201
    lead = Lead.objects.get(email="ceo@bank.com")
    assert list(OutboxMessage.objects.values_list("task", flat=True)) == ["scoring.lead_score"]
    assert lead.score == 0 and lead.assigned_to is None

    redis_server.start()
    celery_worker_factory(broker=redis_server.url)
    assert relay_until_empty()
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60)

    lead.refresh_from_db()
    assert lead.score >= 70 and lead.assigned_to == rep
    assert LeadActivity.objects.filter(lead=lead, type="assigned").count() == 1
    assert Task.objects.filter(lead=lead).count() == FollowUpStep.objects.count() > 0
    consumed = sorted(ConsumedMessage.objects.values_list("task", flat=True))
    assert consumed == ["assignment.lead_route", "crm.notification_send", "scoring.lead_score"]
    # Nothing is left to publish and nothing runs a second time.
    assert outbox_relay(grace=timedelta(0)) == 0
    assert not wait_for(lambda: len(smtp_server.messages) > 1, timeout=3)


def notification_for(rep) -> str:
    """Queue an email to `rep`; returns the id of the message that sends it."""
    with transaction.atomic():
        notification_queue(
            key="test:killed-worker",
            recipient=rep,
            template="leads/email/lead_assigned",
            context={"lead_id": "1", "lead_name": "Ada", "email": "ada@x.com", "score": 90},
        )
        return str(OutboxMessage.objects.get().pk)


@pytest.mark.parametrize("point", ["before", "after"])
def test_a_worker_killed_while_sending_an_email_sends_it_exactly_once(
    point, tmp_path, celery_worker_factory, smtp_server
):
    rep = UserFactory(username="ann", email="ann@crm.test")
    (tmp_path / f"crm.notification_send.{point}").touch()
    worker = celery_worker_factory(pool="prefork", env={"CRM_TEST_FAULTS": str(tmp_path)})

    message_id = notification_for(rep)

    # The pool process dies by SIGKILL; the worker gets the message back and runs it again.
    assert wait_for(lambda: "SIGKILL" in worker.log(), timeout=60), worker.log()
    assert wait_for(lambda: f"[{message_id}] succeeded" in worker.log(), timeout=60), worker.log()
    assert not (tmp_path / f"crm.notification_send.{point}").exists()
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["to"] == ["ann@crm.test"]
    assert Notification.objects.get().sent_at is not None
