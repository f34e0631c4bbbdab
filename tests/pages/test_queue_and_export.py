"""The queue's filters and the CSV export, as a manager's browser sends them."""

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from leads.services import lead_assign
from scoring.models import GradeBand
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

# What the queue's filter form sends when every control is left on "Any" and nothing typed.
UNTOUCHED_FORM = {"search": "", "lead_status": "", "grade": "", "lead_source": ""}


def export_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_an_untouched_filter_form_lists_every_lead(manager_page, rep):
    LeadFactory(assigned_to=rep)
    LeadFactory(lead_status="converted", converted=True)

    response = manager_page.get("/", UNTOUCHED_FORM)

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 leads" in html
    assert "Select a valid choice" not in html


def test_an_untouched_filter_form_exports_every_lead(manager_page, rep):
    LeadFactory(assigned_to=rep)
    LeadFactory()

    rows = export_rows(manager_page.get("/leads/export.csv", UNTOUCHED_FORM))

    assert len(rows) == 3


def test_the_export_holds_every_page_of_the_filtered_list(manager_page):
    for _ in range(30):
        LeadFactory(lead_source="webinar")
    LeadFactory(lead_source="api")
    query = {**UNTOUCHED_FORM, "lead_source": "webinar"}

    listed = manager_page.get("/", query).content.decode()
    rows = export_rows(manager_page.get("/leads/export.csv", query))

    assert "30 leads" in listed and "Page 1 of 2" in listed
    assert len(rows) == 31
    assert {row[rows[0].index("lead_source")] for row in rows[1:]} == {"webinar"}


def test_a_filter_the_export_cannot_honour_answers_400_not_an_empty_file(manager_page):
    LeadFactory()

    response = manager_page.get("/leads/export.csv", {"lead_status": "bogus"})

    assert response.status_code == 400
    assert "lead_status" in response.content.decode()


def test_an_invalid_filter_on_the_queue_says_so_and_lists_nothing(manager_page):
    LeadFactory(email="someone@example.com")

    response = manager_page.get("/", {"score_min": "lots"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "score_min" in html and "someone@example.com" not in html


def test_a_grade_outside_the_bands_on_the_queue_says_so_and_lists_nothing(manager_page):
    GradeBand.objects.all().delete()
    GradeBand.objects.create(grade="Hot", min_score=70)
    LeadFactory(email="someone@example.com", grade="Z")

    response = manager_page.get("/", {**UNTOUCHED_FORM, "grade": "Z"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "grade: Not one of the current grade bands: Z." in html
    assert "someone@example.com" not in html
    assert manager_page.get("/", {**UNTOUCHED_FORM, "grade": "Hot"}).status_code == 200


def test_a_grade_outside_the_bands_answers_400_not_an_empty_export(manager_page):
    LeadFactory(grade="Z")

    response = manager_page.get("/leads/export.csv", {**UNTOUCHED_FORM, "grade": "Z"})

    assert response.status_code == 400
    assert "grade" in response.content.decode()


def test_the_dashboards_export_link_exports_the_leads_it_counts(manager_page):
    LeadFactory()
    LeadFactory()
    old = LeadFactory()
    old.created_at = timezone.now() - timezone.timedelta(days=90)
    old.save(update_fields=["created_at"])

    html = manager_page.get("/dashboard/").content.decode()
    link = html.split('href="/leads/export.csv?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    rows = export_rows(manager_page.get(f"/leads/export.csv?{link}"))

    assert '<strong id="kpi-leads">2</strong>' in html
    assert "+" not in urlsplit(link).query
    assert len(rows) == 3


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x.example")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_exported_cells_never_start_a_formula(manager_page, value):
    LeadFactory(first_name=value, company=value, email="formula@example.com")

    rows = export_rows(manager_page.get("/leads/export.csv"))

    header, row = rows
    assert row[header.index("first_name")] == "'" + value
    assert row[header.index("company")] == "'" + value
    assert row[header.index("email")] == "formula@example.com"


def test_the_grade_filter_offers_the_grade_bands_there_are(manager_page):
    GradeBand.objects.all().delete()
    GradeBand.objects.create(grade="Hot", min_score=70)
    GradeBand.objects.create(grade="Warm", min_score=40)

    html = manager_page.get("/").content.decode()
    grades = html.split('name="grade"', 1)[1].split("</select>", 1)[0]

    assert "<option>Hot</option>" in grades and "<option>Warm</option>" in grades
    assert "A+" not in grades


def test_a_manager_unassigns_from_the_queue(manager_page, rep):
    lead = LeadFactory()
    lead_assign(lead=lead, to=rep)

    response = manager_page.post(f"/leads/{lead.pk}/assign/", {"user": "", "next": "queue"})

    assert response.status_code == 303
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert "Unassigned." in manager_page.get("/").content.decode()


def test_a_refused_reassignment_says_why(manager_page, manager, rep):
    lead = LeadFactory()
    lead_assign(lead=lead, to=rep)

    response = manager_page.post(
        f"/leads/{lead.pk}/assign/", {"user": str(manager.pk)}, follow=True
    )

    lead.refresh_from_db()
    assert lead.assigned_to == rep
    assert "Not reassigned" in response.content.decode()
