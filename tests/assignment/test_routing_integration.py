"""Routing under real concurrency (PostgreSQL) and real delivery (Celery on Redis, SMTP)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from celery import current_app
from django.db import connection
from rest_framework.test import APIClient

from crm.models import Notification
from leads.models import Lead, LeadActivity
from tests.celery_worker import requires_broker, wait_for
from tests.conftest import requires_postgres
from tests.factories import UserFactory

HOT = {
    "title": "C-level VP Director",
    "employee_count": 5000,
    "industry": "Finance",
    "channel": "form",
}


@requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_captures_spread_evenly_and_assign_each_lead_once(capture_key):
    reps = [UserFactory(username=f"rep{i}") for i in range(4)]

    def capture(batch: int) -> list[int]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {capture_key}")
        try:
            return [
                client.post(
                    "/api/v1/capture/", {**HOT, "email": f"hot{batch}-{i}@bank.com"}, format="json"
                ).status_code
                for i in range(25)
            ]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [code for codes in pool.map(capture, range(8)) for code in codes]

    assert statuses.count(201) == 200
    assert Lead.objects.count() == 200
    assert not Lead.objects.filter(assigned_to__isnull=True).exists()
    assigned = Counter(
        LeadActivity.objects.filter(type="assigned").values_list("lead_id", flat=True)
    )
    assert len(assigned) == 200 and set(assigned.values()) == {1}
    loads = Counter(Lead.objects.values_list("assigned_to", flat=True))
    assert set(loads) == {rep.pk for rep in reps}
    assert max(loads.values()) - min(loads.values()) <= 1


@requires_broker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_assignment_email_goes_out_once_through_a_real_worker(
    smtp_server, celery_worker, capture_client
):
    rep = UserFactory(username="ann", email="ann@crm.test")

    response = capture_client.post(
        "/api/v1/capture/", {**HOT, "email": "ceo@bank.com"}, format="json"
    )

    assert response.status_code == 201
    # Nothing is sent before the capture commits, and the worker does it all: score, route, email.
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60)
    message = smtp_server.messages[0]
    assert message["to"] == ["ann@crm.test"]
    assert "Subject: New lead assigned: " in message["data"]
    lead = Lead.objects.get(email="ceo@bank.com")
    assert lead.assigned_to == rep

    # A redelivered or retried task finds the notification sent and sends nothing.
    notification = Notification.objects.get(recipient=rep)
    current_app.tasks["crm.notification_send"].delay(notification.pk)
    current_app.tasks["crm.notification_send"].delay(notification.pk)
    marker = current_app.tasks["tests.lead_touch"].delay(str(lead.pk))
    assert marker is not None
    assert wait_for(lambda: LeadActivity.objects.filter(lead=lead, description="touched").exists())
    assert len(smtp_server.messages) == 1
