from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from crm.models import DeadLetter
from leads.models import Lead, LeadActivity

from ..conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_concurrent_captures_of_one_email_make_one_lead(capture_key):
    def capture(i: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {capture_key}")
        try:
            response = client.post(
                "/api/v1/capture/",
                {
                    "email": "  Race@Example.com",
                    "first_name": f"N{i}",
                    "custom_fields": {f"k{i}": i},
                },
                format="json",
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(capture, range(20)))

    assert sorted(set(statuses)) == [200, 201]
    assert statuses.count(201) == 1
    lead = Lead.objects.get()
    assert lead.email == "race@example.com"
    assert LeadActivity.objects.filter(lead=lead, type="captured").count() == 20
    # The side effects of twenty concurrent captures (scoring, routing, nurturing) all succeed.
    assert not DeadLetter.objects.exists()
    # Every concurrent custom_fields merge survived: none overwrote another's keys.
    assert lead.custom_fields == {f"k{i}": i for i in range(20)}
