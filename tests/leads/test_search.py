"""Search stays right however a lead is written: its text lives in LeadSearch, kept by triggers."""

import pytest
from django.db import connection, transaction

from leads.models import Lead, LeadSearch
from leads.search import lead_search

from ..factories import LeadFactory

URL = "/api/v1/leads/"

pytestmark = pytest.mark.django_db


def found(client, term):
    response = client.get(URL, {"search": term})
    assert response.status_code == 200
    return {row["email"] for row in response.json()["results"]}


def test_a_renamed_lead_is_found_by_its_new_name_only(manager_client):
    lead = LeadFactory(first_name="Jane", last_name="Doe", email="jd@initech.com", company="Acme")

    response = manager_client.patch(
        f"{URL}{lead.pk}/",
        {"first_name": "Maria", "company": "Globex"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert found(manager_client, "maria globex") == {"jd@initech.com"}
    assert found(manager_client, "doe initech") == {"jd@initech.com"}
    assert found(manager_client, "jane") == set()
    assert found(manager_client, "acme") == set()


def test_leads_written_in_bulk_and_by_queryset_update_are_found(manager_client):
    Lead.objects.bulk_create(
        [
            Lead(first_name="Ann", email="ann@initech.io", company="Initech"),
            Lead(first_name="Bo", email="bo@hooli.com", company="Hooli"),
        ]
    )
    Lead.objects.filter(email="bo@hooli.com").update(last_name="Stark")

    assert found(manager_client, "initech ann") == {"ann@initech.io"}
    assert found(manager_client, "bo stark") == {"bo@hooli.com"}
    assert found(manager_client, "bo") == {"bo@hooli.com"}


def test_a_score_change_leaves_the_search_text_alone():
    lead = LeadFactory(first_name="Jane", email="jane@acme.com", company="Acme")
    LeadSearch.objects.filter(pk=lead.pk).update(document="kept as it was")

    Lead.objects.filter(pk=lead.pk).update(score=75, grade="B")
    lead.refresh_from_db()
    lead.save()  # writes every column, names unchanged

    assert LeadSearch.objects.get(pk=lead.pk).document == "kept as it was"


def test_a_deleted_lead_leaves_no_search_row(manager_client):
    lead = LeadFactory(first_name="Jane", email="jane@acme.com")

    lead.delete()

    assert not LeadSearch.objects.filter(pk=lead.pk).exists()
    assert found(manager_client, "jane") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
@pytest.mark.parametrize(
    ("term", "index"),
    [("acme", "leadsearch_trgm_idx"), ("jd", "leadsearch_vector_idx")],
)
def test_search_uses_its_index(term, index):
    """The query's expressions must be the indexes' own, or every search reads every lead."""
    LeadFactory.create_batch(3)
    sql, params = lead_search(Lead.objects.all(), term).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A table this small is cheapest read whole; with whole reads switched off, the search
        # table can only be read through an index whose expression is the query's.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index in plan, plan
