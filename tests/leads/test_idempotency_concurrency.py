import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from leads.models import IdempotencyKey, Lead, LeadActivity

from ..conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 8


def test_concurrent_retries_with_one_key_capture_once(capture_key):
    barrier = threading.Barrier(THREADS)

    def capture(_: int) -> tuple[int, bool]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {capture_key}")
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/capture/",
                {"email": "race@example.com", "first_name": "Ann"},
                format="json",
                headers={"Idempotency-Key": "one-submission"},
            )
            return response.status_code, response.has_header("Idempotent-Replayed")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(capture, range(THREADS)))

    # One request captured; each other one was told to wait (409) or got its response again.
    assert results.count((201, False)) == 1
    assert all(result in {(201, False), (201, True), (409, False)} for result in results)
    lead = Lead.objects.get()
    assert LeadActivity.objects.filter(lead=lead, type="captured").count() == 1
    assert IdempotencyKey.objects.get().status_code == 201
