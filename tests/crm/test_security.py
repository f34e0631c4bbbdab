"""Platform security: production headers, CSRF on every session write, escaping on every page."""

import re
import runpy
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conversion.services import lead_convert
from crm.models import Role
from crm.services import user_upsert
from leads.models import Lead
from leads.services import Bant, lead_assign, lead_qualify
from tests.factories import SCRIPT_PAYLOAD, LeadFactory, TaskFactory, hostile_lead

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "a-production-secret-key-with-plenty-of-entropy-7f3a9c1e5b2d8f4a6c0e",
    "ALLOWED_HOSTS": "crm.example.com",
}
# What decides the headers, cookies and redirects of a response; the rest (database, static
# storage) stays as the tests have it.
SECURITY_SETTINGS = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "MIDDLEWARE",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
]
PASSWORD = "secret-pass-123"


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.fixture
def production(monkeypatch):
    """crm/settings.py read as production reads it, applied to this process's responses."""
    for name in ("TRUST_X_FORWARDED_PROTO", "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(ROOT / "crm" / "settings.py"))
    assert values["DEBUG"] is False and values["SECURE_SSL_REDIRECT"] is True
    with override_settings(**{name: values[name] for name in SECURITY_SETTINGS}):
        yield Client(HTTP_HOST="crm.example.com")


# --- Production headers ------------------------------------------------------------------------


def test_production_pages_send_hsts_csp_and_refuse_framing(production):
    response = production.get("/accounts/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    csrf_cookie = response.cookies["csrftoken"]
    assert csrf_cookie["secure"]


def test_production_session_cookie_is_secure_and_hidden_from_scripts(production, rep):
    response = production.post(
        "/accounts/login/", {"username": rep.username, "password": PASSWORD}, secure=True
    )

    assert response.status_code == 302
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["secure"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"


def test_production_moves_plain_http_to_https(production):
    response = production.get("/accounts/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://crm.example.com/accounts/login/"


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/leads/", "/healthz"])
def test_production_answers_400_to_a_host_it_does_not_serve(production, path):
    response = Client(HTTP_HOST="evil.example").get(path, secure=True)

    assert response.status_code == 400


# --- Content-Security-Policy -------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def test_pages_carry_nothing_the_policy_would_block(rep_page, rep):
    lead = LeadFactory()
    lead_assign(lead=lead, to=rep)

    for path in ["/", f"/leads/{lead.pk}/", "/tasks/", "/accounts/login/"]:
        response = rep_page.get(path)
        html = response.content.decode()

        assert response.status_code == 200, path
        assert csp_directives(response)["script-src"] == ["'self'"], path
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_HANDLER.search(html), path
        assert not STYLE_ATTRIBUTE.search(html), path
        # htmx would otherwise insert an inline <style> and could evaluate attributes.
        assert '"includeIndicatorStyles": false' in html, path


def test_swagger_ui_loads_its_start_up_script_as_a_file(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()

    assert response.status_code == 200
    assert not INLINE_SCRIPT.search(html)
    policy = csp_directives(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    script = re.search(r'<script src="(/api/v1/docs/\?[^"]*script[^"]*)"', html).group(1)
    start_up = client.get(script.replace("&amp;", "&"))
    assert start_up.status_code == 200
    assert b"SwaggerUIBundle" in start_up.content


# --- CSRF on session-authenticated writes ------------------------------------------------------

YES = {"has_budget": True, "has_authority": True, "has_need": True, "has_timeline": True}
ON = {name: "on" for name in YES}

# (who, how, path, body, whether the lead starts qualified); {lead}, {task}, {other} filled in.
PAGE_WRITES = [
    ("rep", "post", "/leads/{lead}/log/", {"type": "call", "description": "Spoke"}, False),
    ("rep", "post", "/leads/{lead}/status/", {"lead_status": "contacted"}, False),
    ("rep", "post", "/leads/{lead}/qualify/", ON, False),
    ("rep", "post", "/leads/{lead}/convert/", {"create_opportunity": "on"}, True),
    ("rep", "post", "/tasks/{task}/complete/", {}, False),
    ("manager", "post", "/leads/{lead}/assign/", {"user": "{other}"}, False),
]
API_WRITES = [
    ("rep", "patch", "/api/v1/leads/{lead}/", {"company": "Globex"}, False),
    ("rep", "post", "/api/v1/leads/{lead}/activities/", {"type": "call"}, False),
    ("rep", "post", "/api/v1/leads/{lead}/qualify/", YES, False),
    ("rep", "post", "/api/v1/leads/{lead}/convert/", {"create_opportunity": True}, True),
    ("rep", "post", "/api/v1/tasks/{task}/complete/", {}, False),
    ("manager", "post", "/api/v1/leads/{lead}/assign/", {"user": "{other}"}, False),
]


def lead_state(lead: Lead) -> tuple:
    lead.refresh_from_db()
    return (
        lead.lead_status,
        lead.qualified,
        lead.converted,
        lead.assigned_to_id,
        lead.company,
        lead.activities.count(),
        lead.tasks.filter(completed_at__isnull=True).count(),
    )


@pytest.fixture
def write_target(rep, other_rep):
    def make(qualified: bool):
        lead = LeadFactory(company="Acme")
        lead_assign(lead=lead, to=rep)
        if qualified:
            lead = lead_qualify(lead=lead, bant=Bant(**YES), by=rep)
        task = TaskFactory(lead=lead, owner=rep)
        return lead, {"lead": lead.pk, "task": task.pk, "other": other_rep.pk}

    return make


def filled(template, ids):
    if isinstance(template, dict):
        return {key: filled(value, ids) for key, value in template.items()}
    return template.format(**ids) if isinstance(template, str) else template


def csrf_token_of(client, lead) -> str:
    # Any page with a form sets the cookie, as the lead page does for a browser.
    assert client.get(f"/leads/{lead.pk}/").status_code == 200
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize(("who", "method", "path", "body", "qualified"), PAGE_WRITES)
def test_page_writes_need_the_csrf_token(request, write_target, who, method, path, body, qualified):
    lead, ids = write_target(qualified)
    client = Client(enforce_csrf_checks=True)
    client.force_login(request.getfixturevalue(who))
    before = lead_state(lead)

    refused = getattr(client, method)(filled(path, ids), filled(body, ids))

    assert refused.status_code == 403
    assert lead_state(lead) == before

    token = csrf_token_of(client, lead)
    done = getattr(client, method)(
        filled(path, ids), {**filled(body, ids), "csrfmiddlewaretoken": token}
    )

    assert done.status_code == 303
    assert lead_state(lead) != before


@pytest.mark.parametrize(("who", "method", "path", "body", "qualified"), API_WRITES)
def test_api_writes_with_a_session_need_the_csrf_token(
    request, write_target, who, method, path, body, qualified
):
    lead, ids = write_target(qualified)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(request.getfixturevalue(who))
    before = lead_state(lead)

    refused = getattr(client, method)(filled(path, ids), filled(body, ids), format="json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert lead_state(lead) == before

    token = csrf_token_of(client, lead)
    done = getattr(client, method)(
        filled(path, ids), filled(body, ids), format="json", HTTP_X_CSRFTOKEN=token
    )

    assert done.status_code in (200, 201), done.content
    assert lead_state(lead) != before


def test_logging_out_needs_the_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200


# --- The public web-to-lead form never reads a session -----------------------------------------

FORM_POSTS = [
    # (what is posted, from where, expected status)
    ({"email": "jane@acme.com", "first_name": "Jane"}, "https://www.example.com", 303),
    ({"email": "not an email"}, "https://www.example.com", 400),
    ({"email": "jane@acme.com"}, "https://attacker.example", 403),
]


@pytest.mark.parametrize(("body", "origin", "status"), FORM_POSTS)
def test_web_to_lead_form_takes_cross_site_posts_without_touching_the_session(
    capture_form, rep, body, origin, status
):
    # A browser signed in to the CRM posts the marketing site's form: no CSRF token, and the
    # session cookie rides along. Reading it would cost a query on django_session.
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/forms/{capture_form.key}/", body, HTTP_ORIGIN=origin)

    assert response.status_code == status
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert Lead.objects.filter(email="jane@acme.com").exists() == (status == 303)


# --- Escaping ----------------------------------------------------------------------------------

PAYLOAD = SCRIPT_PAYLOAD
# Charts shorten long labels, so look for the start of the escaped payload.
ESCAPED = "&lt;script&gt;alert(1)"


def assert_escaped(client, path):
    response = client.get(path)
    html = response.content.decode()

    assert response.status_code == 200, path
    assert "<script>alert" not in html, path
    assert ESCAPED in html, path


def test_a_lead_named_like_a_script_renders_escaped_on_every_page(rep):
    lead = hostile_lead(rep)
    rep_page = Client()
    rep_page.force_login(rep)
    # A manager as `add_user` makes one: staff, in the group that may use admin.
    manager, _ = user_upsert(username="maria", role=Role.MANAGER)
    manager_page = Client()
    manager_page.force_login(manager)

    for path in ["/", f"/leads/{lead.pk}/", "/tasks/"]:
        assert_escaped(rep_page, path)
    lead = lead_qualify(lead=lead, bant=Bant(**YES), by=rep)
    contact = lead_convert(lead=lead, by=rep, create_opportunity=True).contact
    for path in [f"/leads/{lead.pk}/", f"/contacts/{contact.pk}/"]:
        assert_escaped(rep_page, path)
    for path in [
        "/dashboard/",
        "/admin/leads/lead/",
        f"/admin/leads/lead/{lead.pk}/change/",
        "/admin/leads/leadactivity/",
        "/admin/conversion/contact/",
    ]:
        assert_escaped(manager_page, path)
