"""Fields only the workflows write are one list, kept by the API, admin and the edit service."""

import pytest
from django.contrib import admin

from leads.api.serializers import LeadSerializer
from leads.models import Lead
from leads.services import (
    EDITABLE_FIELDS,
    MANAGER_FIELDS,
    RECORD_FIELDS,
    WORKFLOW_FIELDS,
    LeadUpdateError,
    lead_update,
)
from tests.crm.test_authorization import READ_ONLY_FOR_EVERYONE
from tests.factories import LeadFactory


def test_every_workflow_field_is_a_lead_field():
    names = {field.name for field in Lead._meta.get_fields()}

    assert set(WORKFLOW_FIELDS) <= names
    assert set(RECORD_FIELDS) <= names


def test_no_one_may_edit_a_workflow_field():
    assert not (EDITABLE_FIELDS | MANAGER_FIELDS) & {*WORKFLOW_FIELDS, *RECORD_FIELDS}


def test_the_api_shows_workflow_fields_read_only():
    fields = LeadSerializer().fields
    shown = {name for name in (*WORKFLOW_FIELDS, *RECORD_FIELDS) if name in fields}

    assert all(fields[name].read_only for name in shown)
    assert {name for name, field in fields.items() if not field.read_only} == (
        EDITABLE_FIELDS | MANAGER_FIELDS
    )
    # The authorization matrix tries each shown one as a rep and as a manager.
    assert shown <= {name for name, _ in READ_ONLY_FOR_EVERYONE}


def test_admin_shows_workflow_fields_read_only_and_its_form_has_none():
    lead_admin = admin.site._registry[Lead]

    assert set(WORKFLOW_FIELDS) | set(RECORD_FIELDS) <= set(lead_admin.readonly_fields)
    assert not set(lead_admin.form.base_fields) & {*WORKFLOW_FIELDS, *RECORD_FIELDS}
    assert set(lead_admin.form.base_fields) == EDITABLE_FIELDS | MANAGER_FIELDS


@pytest.mark.django_db
@pytest.mark.parametrize("field", WORKFLOW_FIELDS)
def test_the_edit_service_refuses_a_workflow_field_even_from_a_manager(field, manager):
    lead = LeadFactory()

    with pytest.raises(LeadUpdateError) as refused:
        lead_update(lead=lead, data={field: None}, by=manager)

    assert refused.value.field == field
