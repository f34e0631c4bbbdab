"""What reps and managers do, in a real browser."""

import http.server
import threading
from functools import partial

import pytest

from crm.models import Role
from crm.services import user_upsert
from leads.models import CaptureForm, Lead
from leads.services import lead_assign, lead_capture
from tests.browser.helpers import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def hot_lead(email: str, **fields) -> Lead:
    values = {
        "title": "VP Sales",
        "employee_count": 5000,
        "industry": "Finance",
        "company": "Acme Bank",
        **fields,
    }
    return lead_capture(email=email, channel="form", values=values).lead


def test_a_rep_works_the_top_lead_through_to_a_contact(page, live_server):
    ann, _ = user_upsert(username="ann", role=Role.REP, password=PASSWORD)
    cold = hot_lead(
        "cold@acme.com", title="", employee_count=5, first_name="Cold", last_name="Lead"
    )
    top = hot_lead("jane@acmebank.com", first_name="Jane", last_name="Doe")
    for lead in (cold, top):
        lead_assign(lead=lead, to=ann)

    log_in(page, live_server, "ann")
    page.locator("table tbody tr").first.get_by_role("link").click()

    page.wait_for_url(f"**/leads/{top.pk}/")
    page.get_by_text("Why this score").wait_for()
    assert page.locator("table.breakdown").get_by_text("Title: VP").is_visible()

    page.get_by_label("What happened").select_option("call")
    page.get_by_label("Notes").first.fill("Talked budget with Jane")
    page.get_by_role("button", name="Log", exact=True).click()
    page.locator(".timeline").get_by_text("Talked budget with Jane").wait_for()

    for box in ("Budget", "Authority", "Need", "Timeline"):
        page.get_by_label(box).check()
    page.get_by_role("button", name="Save qualification").click()
    page.locator("h1 .status", has_text="Qualified").wait_for()

    page.get_by_label("Amount").fill("12000")
    page.get_by_role("button", name="Convert").click()
    page.get_by_text("Converted: contact").wait_for()
    page.locator('dl.fields a[href^="/contacts/"]').click()

    page.wait_for_url("**/contacts/*/")
    assert page.get_by_role("heading", name="Jane Doe").is_visible()
    assert page.locator("#contact-company").inner_text() == "Acme Bank"
    assert page.get_by_text("Acme Bank - Opportunity").is_visible()


def test_a_manager_reassigns_and_reads_the_dashboard(page, live_server):
    user_upsert(username="maria", role=Role.MANAGER, password=PASSWORD)
    ann, _ = user_upsert(username="ann", role=Role.REP, password=PASSWORD)
    bob, _ = user_upsert(username="bob", role=Role.REP, password=PASSWORD)
    lead = hot_lead("jane@acmebank.com", first_name="Jane", last_name="Doe")
    lead_assign(lead=lead, to=ann)
    hot_lead("second@web.com", title="", lead_source="webinar")
    Lead.objects.filter(email="second@web.com").update(lead_source="webinar")

    log_in(page, live_server, "maria")
    page.get_by_label(f"Owner of {lead.email}").select_option(str(bob.pk))
    page.get_by_label(f"Reassign {lead.email}").get_by_role("button", name="Assign").click()
    page.get_by_text("Assigned to").wait_for()
    lead.refresh_from_db()
    assert lead.assigned_to == bob

    page.get_by_role("link", name="Dashboard").click()
    assert page.locator("#kpi-leads").inner_text() == "2"
    funnel = page.locator("#chart-funnel svg").get_attribute("aria-label")
    assert "New 2" in funnel
    sources = page.locator("#chart-sources svg").get_attribute("aria-label")
    assert "webinar 1" in sources and "website_form 1" in sources
    assert page.locator("#chart-workload rect").count() == 2


@pytest.fixture
def marketing_site(tmp_path):
    """A static marketing site on another port."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_visitor_posts_the_web_form_and_the_lead_reaches_its_rep(
    page, live_server, marketing_site
):
    root, site = marketing_site
    user_upsert(username="ann", role=Role.REP, password=PASSWORD)
    form = CaptureForm.objects.create(
        name="Contact us", success_url=f"{site}/thanks.html", allowed_origins=site
    )
    (root / "thanks.html").write_text(
        "<!doctype html><title>Thanks</title><h1>Thanks, we'll be in touch</h1>"
    )
    (root / "contact.html").write_text(
        f"""<!doctype html><title>Contact</title>
        <form action="{live_server.url}/forms/{form.key}/" method="post">
          <label for="e">Email</label><input id="e" name="email">
          <label for="n">Name</label><input id="n" name="first_name">
          <label for="t">Title</label><input id="t" name="title">
          <label for="c">Company</label><input id="c" name="company">
          <label for="s">Employees</label><input id="s" name="employee_count">
          <label for="i">Industry</label><input id="i" name="industry">
          <input name="website" style="display:none" tabindex="-1">
          <button>Send</button>
        </form>"""
    )

    page.goto(f"{site}/contact.html")
    page.get_by_label("Email").fill("cio@bigbank.com")
    page.get_by_label("Name").fill("Chris")
    page.get_by_label("Title").fill("C-level VP")
    page.get_by_label("Company").fill("Big Bank")
    page.get_by_label("Employees").fill("20000")
    page.get_by_label("Industry").fill("Finance")
    page.get_by_role("button", name="Send").click()

    page.wait_for_url(f"{site}/thanks.html")
    assert page.get_by_role("heading").inner_text() == "Thanks, we'll be in touch"
    lead = Lead.objects.get(email="cio@bigbank.com")
    assert lead.score >= 70
    assert lead.assigned_to is not None and lead.assigned_to.username == "ann"

    log_in(page, live_server, "ann")
    assert page.get_by_role("link", name="Chris").is_visible()
