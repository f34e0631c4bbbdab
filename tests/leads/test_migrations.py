"""The search-table and write-cost migrations reverse and apply again, triggers and all."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead, LeadChange, LeadSearch
from leads.search import lead_search

from ..factories import LeadFactory


def migrate(target: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_back_to_0013_and_forward_again_keeps_search_and_history_working():
    kept = LeadFactory(
        first_name="Kept", last_name="Doe", email="kept@initech.com", company="Initech"
    )

    migrate([("leads", "0013_emails_idna")])
    with connection.cursor() as cursor:
        # Before 0014 the history trigger is there, the search table is not.
        cursor.execute(
            "UPDATE leads_lead SET first_name = 'Renamed' WHERE email = %s", [kept.email]
        )
    migrate()

    assert LeadSearch.objects.get(pk=kept.pk).document == "Renamed Doe kept@initech.com Initech"
    assert list(lead_search(Lead.objects.all(), "renamed initech")) == [kept]
    added = LeadFactory(first_name="Added", email="added@hooli.com")
    assert list(lead_search(Lead.objects.all(), "added")) == [added]
    Lead.objects.filter(pk=added.pk).update(score=40)
    assert LeadChange.objects.filter(lead=added, score_after=40).count() == 1
