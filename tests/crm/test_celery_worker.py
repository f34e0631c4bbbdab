import os

import pytest
from django.test import override_settings

from leads.models import Lead, LeadActivity
from tests.celery_worker import requires_broker, wait_for

pytestmark = [requires_broker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@override_settings(LEAD_CHANGED_TASKS=["tests.lead_touch"])
def test_capture_side_effects_run_on_a_real_worker(celery_worker, capture_client):
    response = capture_client.post("/api/v1/capture/", {"email": "w@x.com"}, format="json")

    assert response.status_code == 201
    lead = Lead.objects.get(email="w@x.com")
    assert wait_for(lambda: LeadActivity.objects.filter(lead=lead, description="touched").exists())
    touched = LeadActivity.objects.get(lead=lead, description="touched")
    assert touched.metadata["pid"] != os.getpid()
