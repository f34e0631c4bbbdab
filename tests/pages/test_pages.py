"""The reps' and managers' pages: access, actions, and a fixed number of queries."""

import re

import pytest
from django.test import Client

from conversion.models import Contact
from leads.models import LeadActivity, Task
from leads.services import lead_assign
from tests.factories import LeadActivityFactory, LeadFactory, UserFactory, nurture_enrol

pytestmark = pytest.mark.django_db


def owned(rep, n=1, **fields):
    leads = []
    for _ in range(n):
        lead = LeadFactory(**fields)
        lead_assign(lead=lead, to=rep)
        leads.append(lead)
    return leads


@pytest.mark.parametrize("path", ["/", "/tasks/", "/dashboard/"])
def test_every_page_needs_a_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_has_the_fields_reps_type_in(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'name="username"' in html and 'name="password"' in html
    assert 'for="id_username"' in html and "csrfmiddlewaretoken" in html


def test_the_queue_shows_a_reps_open_leads_hottest_first(rep_page, rep, other_rep):
    cold, hot = owned(rep, 1, score=20)[0], owned(rep, 1, score=90, grade="A+")[0]
    owned(rep, 1, lead_status="unqualified")
    owned(other_rep, 1, score=99)

    html = rep_page.get("/").content.decode()

    assert html.index(f"/leads/{hot.pk}/") < html.index(f"/leads/{cold.pk}/")
    assert "2 leads" in html
    assert "Follow-up overdue" not in html


def test_queue_queries_do_not_grow_with_the_leads(rep_page, rep, django_assert_max_num_queries):
    owned(rep, 3)
    with django_assert_max_num_queries(12) as few:
        rep_page.get("/")
    owned(rep, 40)
    with django_assert_max_num_queries(12) as many:
        rep_page.get("/")

    assert len(few) == len(many)


def test_a_rep_opening_another_reps_lead_gets_404(rep_page, other_rep):
    lead = owned(other_rep)[0]

    assert rep_page.get(f"/leads/{lead.pk}/").status_code == 404
    assert rep_page.post(f"/leads/{lead.pk}/log/", {"type": "call"}).status_code == 404
    assert not LeadActivity.objects.filter(lead=lead, type="call").exists()


def test_lead_page_queries_do_not_grow_with_its_history(
    rep_page, rep, django_assert_max_num_queries
):
    lead = owned(rep)[0]
    with django_assert_max_num_queries(25) as few:
        rep_page.get(f"/leads/{lead.pk}/")
    for _ in range(60):
        LeadActivityFactory(lead=lead, created_by=rep)
    with django_assert_max_num_queries(25) as many:
        response = rep_page.get(f"/leads/{lead.pk}/")

    assert response.status_code == 200
    assert len(few) == len(many)


def test_a_rep_works_a_lead_from_its_page(rep_page, rep):
    lead = owned(rep, title="VP Sales")[0]

    rep_page.post(f"/leads/{lead.pk}/log/", {"type": "call", "description": "Left a voicemail"})
    rep_page.post(f"/leads/{lead.pk}/status/", {"lead_status": "contacted"})
    rep_page.post(
        f"/leads/{lead.pk}/qualify/",
        {"has_budget": "on", "has_authority": "on", "has_need": "on", "has_timeline": "on"},
    )
    response = rep_page.post(
        f"/leads/{lead.pk}/convert/", {"create_opportunity": "on", "amount": "1200"}, follow=True
    )

    html = response.content.decode()
    lead.refresh_from_db()
    assert lead.converted and lead.first_response_at is not None
    contact = Contact.objects.get()
    assert f"/contacts/{contact.pk}/" in html
    assert rep_page.get(f"/contacts/{contact.pk}/").status_code == 200


def test_htmx_actions_get_only_the_lead_back(rep_page, rep):
    lead = owned(rep)[0]

    response = rep_page.post(
        f"/leads/{lead.pk}/log/",
        {"type": "note", "description": "hi"},
        follow=True,
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lead"')
    assert "<html" not in html


def test_tasks_page_groups_and_completes_in_place(rep_page, rep):
    owned(rep)
    task = Task.objects.filter(owner=rep).order_by("due_at").first()

    html = rep_page.get("/tasks/").content.decode()
    assert "Overdue" in html and "Due today" in html and "Upcoming" in html
    rep_page.post(f"/tasks/{task.pk}/complete/", {"next": "tasks"})

    task.refresh_from_db()
    assert task.completed_at is not None


def test_reps_cannot_open_the_dashboard_or_reassign(rep_page, rep, other_rep):
    lead = owned(rep)[0]

    assert rep_page.get("/dashboard/").status_code == 403
    assert rep_page.post(f"/leads/{lead.pk}/assign/", {"user": other_rep.pk}).status_code == 403


def test_managers_reassign_from_the_list(manager_page, rep, other_rep):
    lead = owned(rep)[0]

    response = manager_page.post(
        f"/leads/{lead.pk}/assign/", {"user": other_rep.pk, "next": "queue"}
    )

    assert response.status_code == 303
    lead.refresh_from_db()
    assert lead.assigned_to == other_rep


def test_dashboard_numbers_and_constant_queries(manager_page, rep, django_assert_max_num_queries):
    owned(rep, 3, lead_source="webinar")
    with django_assert_max_num_queries(15) as few:
        response = manager_page.get("/dashboard/")
    owned(rep, 30, lead_source="api")
    with django_assert_max_num_queries(15) as many:
        response = manager_page.get("/dashboard/")

    html = response.content.decode()
    assert len(few) == len(many)
    assert '<strong id="kpi-leads">33</strong>' in html
    assert "Leads by source: api 30, webinar 3" in html


def test_csv_export_follows_the_filters(manager_page, rep):
    owned(rep, 2, lead_source="webinar")
    owned(rep, 1, lead_source="api")

    response = manager_page.get("/leads/export.csv", {"lead_source": "webinar"})

    assert response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("id,first_name,last_name,email")
    assert len(lines) == 3
    assert all(",webinar," in line for line in lines[1:])


def test_users_without_a_role_are_refused():
    client = Client()
    client.force_login(UserFactory(role=""))

    assert client.get("/").status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"close_date": "2026-02-30"}, {"amount": "NaN"}, {"amount": "1e20"}, {"amount": "lots"}],
)
def test_the_convert_form_refuses_bad_values_without_converting(rep_page, rep, body):
    lead = owned(rep, qualified=True, lead_status="qualified")[0]

    response = rep_page.post(
        f"/leads/{lead.pk}/convert/", {"create_opportunity": "on", **body}, follow=True
    )

    assert response.status_code == 200
    assert "Not converted." in response.content.decode()
    lead.refresh_from_db()
    assert not lead.converted


def test_a_manager_opens_an_unassigned_lead(manager_page):
    lead = LeadFactory()

    response = manager_page.get(f"/leads/{lead.pk}/")

    assert response.status_code == 200
    assert "<dt>Owner</dt><dd>Unassigned</dd>" in response.content.decode()


def test_a_contact_without_an_owner_opens(manager_page):
    contact = Contact.objects.create(email="nobody@example.com")

    response = manager_page.get(f"/contacts/{contact.pk}/")

    assert response.status_code == 200


def test_a_message_shows_once_without_javascript(rep_page, rep):
    lead = owned(rep)[0]

    response = rep_page.post(f"/leads/{lead.pk}/log/", {"type": "call"}, follow=True)

    assert response.content.decode().count("Logged.") == 1


def test_every_label_on_the_lead_page_names_a_control_on_it(manager_page, rep):
    lead = owned(rep)[0]

    html = manager_page.get(f"/leads/{lead.pk}/").content.decode()

    for target in re.findall(r'<label for="([^"]+)"', html):
        assert f'id="{target}"' in html, target


@pytest.mark.parametrize(
    "query",
    [
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
        {"since": "2026-03-01", "until": "2026-02-01"},
    ],
)
def test_a_dashboard_range_it_cannot_show_answers_400(manager_page, query):
    response = manager_page.get("/dashboard/", query)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_lead_page_says_when_a_lead_must_not_be_emailed_and_its_nurture(manager_page):
    nurtured = nurture_enrol(LeadFactory())
    # Unsubscribing ends nurturing: the page says so before nurturing has recorded the exit.
    unsubscribed = nurture_enrol(LeadFactory(do_not_email=True))

    html = manager_page.get(f"/leads/{nurtured.pk}/").content.decode()
    unsubscribed_html = manager_page.get(f"/leads/{unsubscribed.pk}/").content.decode()

    assert "<dt>Nurture</dt><dd>Not ready yet, next step " in html
    assert "Unsubscribed: do not email" not in html
    assert "Unsubscribed: do not email" in unsubscribed_html
    assert "<dt>Nurture</dt>" not in unsubscribed_html


def test_the_owner_choices_name_reps_as_people(manager_page, rep):
    lead = owned(rep)[0]

    html = manager_page.get(f"/leads/{lead.pk}/").content.decode()

    assert f'<option value="{rep.pk}" selected>{rep.get_full_name()}</option>' in html
