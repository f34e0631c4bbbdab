"""Every page a user can reach by following links answers without a server error.

On the demo data (every state a lead can be in), signed in as a rep, a manager and a
superuser, with DEBUG off and the project's templates failing on unknown variables, the
crawler follows each same-site link and GET form from the queue, the tasks, the dashboard,
admin and the browsable API. It only ever GETs, and never a logout link. A link that answers
5xx or fails to render is a failure; 4xx (a page the user may not open) is not.
"""

import re
import time
from collections import Counter
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import Resolver404, resolve

from conversion.models import Contact
from crm.models import Role, User
from leads.models import LeadStatus
from leads.selectors import lead_nurture_annotate, lead_visible_to
from tests.strict_templates import strict_templates

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

START = ["/", "/tasks/", "/dashboard/", "/admin/", "/api/v1/"]
# Bounds, so the crawl is over in seconds however much demo data there is: two URLs per route
# (a list and a page of one row, say), one per route and set of query parameter names (a
# filter, a sort order), and a total per user.
PER_ROUTE = 2
PER_QUERY = 1
PER_USER = 250
NEVER = re.compile(r"logout|/static/|\.(css|js|png|svg|ico)$")


class Links(HTMLParser):
    """The page's <a href> targets, and its GET forms submitted with their default values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = (
                {"action": attrs.get("action") or "", "fields": []} if method == "get" else None
            )
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "image", "file"):
                self._form["fields"].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self._form["fields"].append((self._select, None))
        elif tag == "option" and self._select:
            fields = self._form["fields"]
            name, value = fields[-1]
            if value is None or "selected" in attrs:
                fields[-1] = (name, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            fields = [(k, v or "") for k, v in self._form["fields"]]
            self.urls.append(
                f"{self._form['action'] or '?'}?{urlencode(fields)}".replace("??", "?")
            )
            self._form = None


class Crawler:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen: set[str] = set()
        self.per_route: Counter = Counter()
        self.failures: list[str] = []
        self.fetched = 0
        self._exceptions: list[BaseException] = []

    def _record(self, sender, request=None, **kwargs):
        import sys

        self._exceptions.append(sys.exc_info()[1])

    def route_key(self, path: str, query: str) -> str | None:
        try:
            match = resolve(path)
        except Resolver404:
            return None
        names = sorted({part.split("=")[0] for part in query.split("&") if part})
        return f"{match.route}?{'&'.join(names)}"

    def enqueue(self, queue: list[str], base: str, href: str, start: bool = False) -> None:
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            return
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http"):
            return
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if NEVER.search(parts.path) or (url in self.seen and not start):
            return
        key = self.route_key(parts.path, parts.query)
        if key is None:
            return
        if not start and self.per_route[key] >= (PER_QUERY if parts.query else PER_ROUTE):
            return
        self.per_route[key] += 1
        self.seen.add(url)
        queue.append(url)

    def crawl(self, start: list[str]) -> None:
        queue: list[str] = []
        for url in start:
            self.enqueue(queue, "http://testserver/", url, start=True)
        got_request_exception.connect(self._record)
        try:
            while queue and self.fetched < PER_USER:
                self.visit(queue.pop(0), queue)
        finally:
            got_request_exception.disconnect(self._record)

    def visit(self, url: str, queue: list[str]) -> None:
        self._exceptions.clear()
        self.fetched += 1
        try:
            response = self.client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        except Exception as exc:  # an error while streaming the body
            self.failures.append(f"GET {url}: {type(exc).__name__}: {exc}")
            return
        if response.status_code >= 500 or self._exceptions:
            last = self._exceptions[-1] if self._exceptions else None
            reason = f"{type(last).__name__}: {last}" if last else "no exception recorded"
            self.failures.append(f"GET {url}: {response.status_code} {reason}")
            return
        if response.status_code in (301, 302, 303, 307, 308):
            self.enqueue(queue, f"http://testserver{url}", response["Location"])
            return
        if "html" in response.get("Content-Type", ""):
            links = Links()
            links.feed(body.decode(response.charset or "utf-8", "replace"))
            for href in links.urls:
                self.enqueue(queue, f"http://testserver{url}", href)


@pytest.fixture
def demo_data():
    call_command("seed_demo", "--leads", "40", "--allow-production", stdout=StringIO())
    superuser = User.objects.create_superuser("root", "root@crm.example", "root-pass-2026")
    return {
        "rep": User.objects.get(username="sam"),
        "manager": User.objects.get(username="maria"),
        "superuser": superuser,
    }


def pages_of_every_state(user: User) -> list[str]:
    """The user's lead page in each state, and contact pages: the crawl starts there too, so
    a queue that fails to render does not hide them."""
    leads = lead_visible_to(user).order_by("created_at")
    states = [leads.filter(lead_status=status) for status in LeadStatus.values] + [
        leads.filter(assigned_to__isnull=True),
        lead_nurture_annotate(leads).filter(nurture_sequence__isnull=False),
        leads.filter(do_not_email=True),
        leads.filter(response_escalated_at__isnull=False),
        leads.filter(first_response_at__isnull=False),
        leads.filter(company=""),
    ]
    urls = [f"/leads/{lead.pk}/" for state in states if (lead := state.first())]
    contacts = [
        Contact.objects.filter(company__isnull=True, leads__in=leads),
        Contact.objects.filter(company__isnull=False, leads__in=leads),
    ]
    return urls + [f"/contacts/{c.pk}/" for query in contacts if (c := query.first())]


def test_every_reachable_page_renders_for_every_role(demo_data, settings):
    settings.DEBUG = False
    settings.TEMPLATES = strict_templates(settings.TEMPLATES)
    assert demo_data["rep"].role == Role.REP and demo_data["manager"].role == Role.MANAGER

    report, failures = [], []
    staff_seen = None
    for role, user in demo_data.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        crawler = Crawler(client)
        if role == "superuser":
            # The superuser's pages are the manager's plus the admin a manager may not open:
            # crawl only those, to halve the time.
            crawler.seen, crawler.per_route = staff_seen.seen, staff_seen.per_route
        staff_seen = crawler
        started = time.perf_counter()
        crawler.crawl(START + pages_of_every_state(user))
        report.append(f"{role}: {crawler.fetched} pages in {time.perf_counter() - started:.1f} s")
        failures += [f"[{role}] {failure}" for failure in crawler.failures]
        # The crawl reached the lead pages, not just the queue.
        assert any(url.startswith("/leads/") for url in crawler.seen), role

    assert not failures, "\n".join(failures + report)
