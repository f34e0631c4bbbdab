"""axe-core on each of the product's own pages, as a rep and as a manager, on the demo data.

axe-core comes inside the axe-playwright-python package (axe.min.js); nothing is downloaded.
The package hands it to the page with Playwright's `evaluate`, which runs through the browser's
debugging protocol and so is not subject to the pages' Content-Security-Policy (script-src
'self'), as an injected <script> would be.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from conversion.management.commands.seed_demo import DEMO_PASSWORD
from conversion.models import Contact
from crm.models import User
from leads.models import CaptureForm, LeadStatus
from leads.selectors import lead_nurture_annotate, lead_visible_to
from leads.services import unsubscribe_token
from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BLOCKING = ("serious", "critical")


@pytest.fixture
def axe():
    sync_axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    return sync_axe.Axe()


def lead_pages(user: User) -> list[str]:
    """The user's lead page in each state a lead can be in."""
    leads = lead_visible_to(user).order_by("created_at")
    states = [leads.filter(lead_status=status) for status in LeadStatus.values] + [
        leads.filter(assigned_to__isnull=True),
        lead_nurture_annotate(leads).filter(nurture_sequence__isnull=False),
        leads.filter(do_not_email=True),
        leads.filter(response_escalated_at__isnull=False),
    ]
    return list(dict.fromkeys(f"/leads/{lead.pk}/" for q in states if (lead := q.first())))


def pages_of(user: User) -> list[str]:
    contact = Contact.objects.filter(leads__in=lead_visible_to(user)).first()
    pages = ["/", "/tasks/", *lead_pages(user)]
    if contact:
        pages.append(f"/contacts/{contact.pk}/")
    if user.is_manager:
        pages += ["/dashboard/", "/?lead_status=converted"]
    return pages


def violations(axe, page, url: str) -> list[str]:
    results = axe.run(page)
    return [
        f"{url}: {v['impact']} {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def check(axe, page, base: str, urls: list[str]) -> list[str]:
    found = []
    for url in urls:
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status < 500, (
            f"{url}: {response and response.status}"
        )
        found += violations(axe, page, url)
    return found


@pytest.fixture
def demo():
    call_command("seed_demo", "--leads", "30", "--allow-production", stdout=StringIO())


@pytest.mark.parametrize("username", ["sam", "maria"])
def test_the_pages_have_no_serious_accessibility_violation(demo, page, live_server, axe, username):
    user = User.objects.get(username=username)
    log_in(page, live_server, username, DEMO_PASSWORD)

    found = check(axe, page, live_server.url, pages_of(user))

    assert not found, "\n".join(found)


def test_the_public_pages_have_no_serious_accessibility_violation(demo, page, live_server, axe):
    lead = lead_visible_to(User.objects.get(username="maria")).first()
    public = [
        "/accounts/login/",
        f"/unsubscribe/{unsubscribe_token(lead)}/",
        "/unsubscribe/not-a-token/",
    ]

    found = check(axe, page, live_server.url, public)
    # The web-to-lead form's answers to a visitor: a submission it cannot take, and a form
    # that no longer takes any. They answer a post from a marketing site.
    open_form = CaptureForm.objects.get()
    closed_form = CaptureForm.objects.create(
        name="Old form", success_url="https://www.example.com/", active=False
    )
    for form, email in ((open_form, "not-an-email"), (closed_form, "ann@example.com")):
        page.goto("about:blank")
        page.set_content(
            f'<form method="post" action="{live_server.url}/forms/{form.key}/">'
            f'<input name="email" value="{email}"></form>'
        )
        with page.expect_navigation():
            page.evaluate("document.forms[0].submit()")
        found += violations(axe, page, f"POST /forms/{form.name}/")

    assert not found, "\n".join(found)
