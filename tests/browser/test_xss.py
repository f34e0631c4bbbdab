"""Hostile text shows as text, and the Content-Security-Policy breaks no page, in a real browser."""

import pytest

from conversion.services import lead_convert
from crm.models import Role
from crm.services import user_upsert
from leads.services import Bant, lead_qualify
from tests.browser.helpers import PASSWORD, log_in
from tests.factories import SCRIPT_PAYLOAD, hostile_lead

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PAYLOAD = SCRIPT_PAYLOAD
YES = Bant(has_budget=True, has_authority=True, has_need=True, has_timeline=True)


@pytest.fixture
def watched(page):
    """The page, with every dialog and every Content-Security-Policy violation recorded."""
    seen = {"dialogs": [], "csp": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    def on_console(message):
        if "Content Security Policy" in message.text:
            seen["csp"].append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return page, seen


def assert_shown_as_text(page, seen, url):
    page.goto(url)
    page.wait_for_load_state("load")
    page.get_by_text(PAYLOAD).first.wait_for(state="visible")
    assert seen["dialogs"] == [], url
    assert seen["csp"] == [], url


def test_a_lead_named_like_a_script_shows_as_text_on_every_page(watched, live_server):
    page, seen = watched
    ann, _ = user_upsert(username="ann", role=Role.REP, password=PASSWORD)
    user_upsert(username="maria", role=Role.MANAGER, password=PASSWORD)
    lead = hostile_lead(ann)

    log_in(page, live_server, "ann")
    for path in ["/", "/tasks/", f"/leads/{lead.pk}/"]:
        assert_shown_as_text(page, seen, f"{live_server.url}{path}")
    # Logging an activity swaps the lead in place (htmx): the hostile text stays text there too.
    shown = page.locator(".timeline").get_by_text(PAYLOAD)
    before = shown.count()
    page.get_by_label("What happened").select_option("call")
    page.get_by_label("Notes").first.fill(PAYLOAD)
    page.get_by_role("button", name="Log", exact=True).click()
    page.get_by_text("Logged.").wait_for()
    assert shown.count() == before + 1
    assert seen["dialogs"] == [] and seen["csp"] == []

    lead = lead_qualify(lead=lead, bant=YES, by=ann)
    contact = lead_convert(lead=lead, by=ann, create_opportunity=True).contact
    assert_shown_as_text(page, seen, f"{live_server.url}/contacts/{contact.pk}/")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/")
    page.locator("#chart-sources summary").click()
    page.locator("#chart-sources table").get_by_text(PAYLOAD).wait_for(state="visible")
    assert seen["dialogs"] == [] and seen["csp"] == []
    for path in ["/admin/leads/lead/", f"/admin/leads/lead/{lead.pk}/change/"]:
        assert_shown_as_text(page, seen, f"{live_server.url}{path}")


def test_swagger_ui_renders_under_the_policy(watched, live_server):
    page, seen = watched

    page.goto(f"{live_server.url}/api/v1/docs/")

    page.get_by_text("Lead-management CRM API").first.wait_for(state="visible")
    page.locator(".opblock").first.wait_for(state="visible")
    assert page.locator(".opblock").count() > 5
    assert seen["csp"] == []
