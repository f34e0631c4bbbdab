from decimal import Decimal

import pytest
from django.test import Client

from leads.models import Lead, LeadActivity
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.example.com"


@pytest.fixture
def browser():
    # A visitor's browser on the marketing site: no session, no CSRF token from us.
    return Client(enforce_csrf_checks=True)


def submit(browser, form, data, origin=ORIGIN):
    headers = {"Origin": origin} if origin else {}
    return browser.post(f"/forms/{form.key}/", data, headers=headers)


def test_submission_redirects_to_success_url_and_saves_the_lead(browser, capture_form):
    response = submit(
        browser,
        capture_form,
        {"first_name": "Jane", "email": "Jane@Acme.com", "company": "Acme", "message": "Call me"},
    )

    assert response.status_code == 303
    assert response["Location"] == "https://www.example.com/thanks/"
    lead = Lead.objects.get()
    assert (lead.email, lead.lead_source, lead.lead_status) == (
        "jane@acme.com",
        "website_form",
        "new",
    )
    activity = lead.activities.get()
    assert activity.type == "form_submitted"
    assert activity.description == "Call me"
    assert activity.metadata["received_via"] == "web form: Contact us"


def test_form_default_source_and_dedupe(browser, capture_form):
    capture_form.default_source = "ebook_download"
    capture_form.save()

    submit(browser, capture_form, {"email": "a@x.com", "first_name": "Ann"})
    submit(browser, capture_form, {"email": "A@X.com ", "first_name": "", "company": "Acme"})

    lead = Lead.objects.get()
    assert (lead.first_name, lead.company, lead.lead_source) == ("Ann", "Acme", "ebook_download")
    assert lead.activities.count() == 2


def test_honeypot_submission_redirects_and_saves_nothing(browser, capture_form):
    response = submit(browser, capture_form, {"email": "bot@spam.com", "website": "http://spam"})

    assert response.status_code == 303
    assert Lead.objects.count() == 0


def test_invalid_submission_shows_errors_and_saves_nothing(browser, capture_form):
    response = submit(browser, capture_form, {"email": "not-an-email", "employee_count": "-3"})

    assert response.status_code == 400
    assert b"Please check the form" in response.content
    assert b"Enter a valid email address." in response.content
    assert Lead.objects.count() == 0


def test_other_origins_are_refused(browser, capture_form):
    response = submit(browser, capture_form, {"email": "a@x.com"}, origin="https://evil.example")

    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_form_without_origin_list_accepts_any_site(browser, capture_form):
    capture_form.allowed_origins = ""
    capture_form.save()

    assert submit(browser, capture_form, {"email": "a@x.com"}, origin="").status_code == 303
    assert Lead.objects.count() == 1


def test_unknown_or_inactive_form_answers_404(browser, capture_form):
    assert browser.post("/forms/nope/", {"email": "a@x.com"}).status_code == 404
    capture_form.active = False
    capture_form.save()
    assert submit(browser, capture_form, {"email": "a@x.com"}).status_code == 404
    assert LeadActivity.objects.count() == 0


def test_admin_shows_a_snippet_that_posts_to_the_form(client, capture_form):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.get(f"/admin/leads/captureform/{capture_form.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"http://127.0.0.1:8000/forms/{capture_form.key}/" in html
    assert "&lt;input id=&quot;lead-email&quot; name=&quot;email&quot;" in html
    assert "name=&quot;website&quot;" in html


def test_visitors_do_not_choose_the_source_and_resubmits_keep_the_first(browser, capture_form):
    submit(browser, capture_form, {"email": "a@x.com", "source": "hacked"})
    Lead.objects.update(lead_source="webinar")  # how the lead first came in

    submit(browser, capture_form, {"email": "a@x.com", "company": "Acme"})

    lead = Lead.objects.get()
    assert lead.lead_source == "webinar"
    assert lead.company == "Acme"
    first = lead.activities.order_by("created_at").first()
    assert first.metadata["extra"] == {"source": "hacked"}


def test_unstorable_values_get_the_error_page(browser, capture_form):
    response = submit(browser, capture_form, {"email": "a@x.com", "utm_source": "a\x00b"})

    assert response.status_code == 400
    assert b"Please check the form" in response.content
    assert Lead.objects.count() == 0


def test_back_link_only_when_the_form_page_is_known(browser, capture_form):
    response = browser.post(
        f"/forms/{capture_form.key}/",
        {"email": "nope"},
        headers={"Origin": ORIGIN, "Referer": f"{ORIGIN}/contact/"},
    )
    assert b'href="https://www.example.com/contact/"' in response.content

    response = browser.post(
        f"/forms/{capture_form.key}/",
        {"email": "nope"},
        headers={"Origin": ORIGIN, "Referer": f"{ORIGIN}/"},
    )
    assert b"Back button" in response.content


def test_a_form_post_never_overwrites_a_worked_lead(browser, capture_form, rep, rep_page):
    lead = LeadFactory(
        email="pat@acme.example",
        phone="+1 555 0100",
        title="VP Sales",
        employee_count=250,
        annual_revenue=Decimal("5000000.00"),
        industry="",
        assigned_to=rep,
        custom_fields={"plan": "enterprise"},
    )

    response = submit(
        browser,
        capture_form,
        {
            "email": "PAT@acme.example",
            "phone": "+1 555 9999",
            "title": "Intern",
            "employee_count": "1",
            "annual_revenue": "1",
            "industry": "Retail",
            "custom_fields[plan]": "free",
            "custom_fields[utm_source]": "ads",
        },
    )

    assert response.status_code == 303
    lead.refresh_from_db()
    assert (lead.phone, lead.title, lead.employee_count, lead.annual_revenue) == (
        "+1 555 0100",
        "VP Sales",
        250,
        Decimal("5000000.00"),
    )
    assert lead.industry == "Retail"  # it was empty
    assert lead.custom_fields == {"plan": "enterprise", "utm_source": "ads"}
    # The rep sees on the timeline what the visitor sent that differs.
    page = rep_page.get(f"/leads/{lead.pk}/").content.decode()
    assert "+1 555 9999" in page and "Intern" in page


def test_the_answer_is_the_same_for_a_known_and_a_new_email(browser, capture_form, rep):
    LeadFactory(email="known@acme.example", assigned_to=rep, phone="+1 555 0100")

    known = submit(browser, capture_form, {"email": "known@acme.example", "phone": "1"})
    new = submit(browser, capture_form, {"email": "new@acme.example", "phone": "1"})

    assert (known.status_code, known["Location"], known.content) == (
        new.status_code,
        new["Location"],
        new.content,
    )
