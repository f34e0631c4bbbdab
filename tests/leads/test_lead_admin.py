"""The lead's admin page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_the_add_page_reads_no_timeline_or_history(admin_client):
    # A new lead has its UUID before it is saved, so "no pk yet" cannot tell it is new.
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/leads/lead/add/")

    assert response.status_code == 200
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "leads_leadactivity" not in read
    assert "leads_leadchange" not in read
