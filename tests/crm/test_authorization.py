"""Who may do what, endpoint by endpoint (OWASP API1 object level, API3 property level,
API5 function level).

A rep reaches only their own leads, tasks, contacts, companies and deals: anything else
answers 404, as if it did not exist, and never shows in a list, search, filter, export or
page. Fields the workflow owns are refused per field. A capture key only captures and posts
events. Managers alone reassign, export, see the funnel and edit rules.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from conversion.models import Company, Contact, Deal
from crm.models import User
from leads.models import Lead, LeadActivity, LeadStatus, Task
from scoring.models import ScoringRule
from tests.factories import LeadActivityFactory, LeadFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

BANT = {"has_budget": True, "has_authority": True, "has_need": True, "has_timeline": True}


@dataclass
class Owned:
    """One of everything a rep can own."""

    lead: Lead
    activity: LeadActivity
    task: Task
    company: Company
    contact: Contact
    deal: Deal


def everything_of(user: User, name: str) -> Owned:
    lead = LeadFactory(
        assigned_to=user,
        email=f"{name}@{name}-corp.example",
        company=f"{name} corp",
        qualified=True,
        lead_status=LeadStatus.QUALIFIED,
    )
    company = Company.objects.create(name=f"{name} corp", owner=user)
    contact = Contact.objects.create(
        email=f"{name}.contact@example.com", company=company, owner=user
    )
    return Owned(
        lead=lead,
        activity=LeadActivityFactory(lead=lead, description=f"{name} called"),
        task=TaskFactory(lead=lead, title=f"Call {name}"),
        company=company,
        contact=contact,
        deal=Deal.objects.create(name=f"{name} deal", contact=contact, company=company, owner=user),
    )


def marks_of(owned: Owned) -> list[str]:
    """What would give an object away in a response: its id and its telling text."""
    return [
        *(str(obj.pk) for obj in vars(owned).values()),
        owned.lead.email,
        owned.activity.description,
        owned.task.title,
        owned.company.name,
        owned.contact.email,
        owned.deal.name,
    ]


@pytest.fixture
def mine(rep) -> Owned:
    return everything_of(rep, "mine")


@pytest.fixture
def theirs(other_rep) -> Owned:
    return everything_of(other_rep, "theirs")


def send(client, method: str, url: str, body=None):
    if method == "get":
        return client.get(url)
    if body is None:
        return getattr(client, method)(url)
    if isinstance(client, APIClient):
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url, body)


# --- API1: another rep's objects answer 404 ------------------------------------------------

# (method, URL name, the object the URL names, body, what the owner gets)
API_OBJECT_ACTIONS = [
    ("get", "lead-detail", "lead", None, 200),
    ("patch", "lead-detail", "lead", {"first_name": "Mallory"}, 200),
    ("get", "lead-activities", "lead", None, 200),
    ("post", "lead-activities", "lead", {"type": "note", "description": "x"}, 201),
    ("post", "lead-qualify", "lead", BANT, 200),
    ("get", "lead-score", "lead", None, 200),
    ("post", "lead-convert", "lead", {"create_opportunity": False}, 201),
    ("get", "task-detail", "task", None, 200),
    ("post", "task-complete", "task", None, 200),
    ("get", "contact-detail", "contact", None, 200),
    ("get", "company-detail", "company", None, 200),
    ("get", "deal-detail", "deal", None, 200),
]


def object_url(name: str, owned: Owned, kind: str) -> str:
    return reverse(name, kwargs={"pk": getattr(owned, kind).pk})


@pytest.mark.parametrize(("method", "name", "kind", "body", "_"), API_OBJECT_ACTIONS)
def test_a_rep_acting_on_another_reps_object_through_the_api_gets_404(
    rep_client, theirs, method, name, kind, body, _
):
    lead_before = Lead.objects.values().get(pk=theirs.lead.pk)

    response = send(rep_client, method, object_url(name, theirs, kind), body)

    assert response.status_code == 404
    assert Lead.objects.values().get(pk=theirs.lead.pk) == lead_before
    assert theirs.lead.activities.count() == 1
    assert Task.objects.get(pk=theirs.task.pk).completed_at is None
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(("method", "name", "kind", "body", "status"), API_OBJECT_ACTIONS)
def test_the_same_api_call_on_the_reps_own_object_works(
    rep_client, mine, method, name, kind, body, status
):
    assert send(rep_client, method, object_url(name, mine, kind), body).status_code == status


def test_another_reps_lead_is_404_with_a_format_suffix_too(rep_client, theirs):
    assert rep_client.get(f"/api/v1/leads/{theirs.lead.pk}.json").status_code == 404


# --- API1: lists, searches, filters and pages never show another rep's objects -------------


# (path, query) of every list a rep reads through the API.
API_LISTS = [
    ("/api/v1/leads/", {}),
    ("/api/v1/leads/", {"search": "theirs"}),
    ("/api/v1/leads/", {"assigned_to": "{other_rep}"}),
    ("/api/v1/leads/", {"lead_status": "qualified", "qualified": "true"}),
    ("/api/v1/leads/", {"unassigned": "false", "ordering": "-score"}),
    ("/api/v1/tasks/", {}),
    ("/api/v1/tasks/", {"owner": "{other_rep}"}),
    ("/api/v1/tasks/", {"lead": "{their_lead}"}),
    ("/api/v1/contacts/", {}),
    ("/api/v1/companies/", {}),
    ("/api/v1/deals/", {}),
]


@pytest.mark.parametrize(("path", "query"), API_LISTS)
def test_api_lists_never_show_another_reps_objects(
    rep_client, other_rep, mine, theirs, path, query
):
    query = {
        key: value.format(other_rep=other_rep.pk, their_lead=theirs.lead.pk)
        for key, value in query.items()
    }

    body = rep_client.get(path, query).content.decode()

    assert not [mark for mark in marks_of(theirs) if mark in body]


def test_api_lists_show_the_reps_own_objects(rep_client, mine, theirs):
    for path, obj in [
        ("/api/v1/leads/", mine.lead),
        ("/api/v1/tasks/", mine.task),
        ("/api/v1/contacts/", mine.contact),
        ("/api/v1/companies/", mine.company),
        ("/api/v1/deals/", mine.deal),
    ]:
        results = rep_client.get(path).json()["results"]
        assert [row["id"] for row in results] == [str(obj.pk)], path


PAGE_LISTS = [
    "/",
    "/?search=theirs",
    "/?lead_status=qualified",
    "/?assigned_to={other_rep}",
    "/tasks/",
    "/contacts/{my_contact}/",
]


@pytest.mark.parametrize("url", PAGE_LISTS)
def test_pages_never_show_another_reps_objects(rep_page, other_rep, mine, theirs, url):
    # Their deal on my contact: a contact is shared when two reps' leads had its email.
    Deal.objects.create(name="theirs on my contact", contact=mine.contact, owner=other_rep)
    url = url.format(other_rep=other_rep.pk, my_contact=mine.contact.pk)

    response = rep_page.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert not [mark for mark in [*marks_of(theirs), "theirs on my contact"] if mark in body]


def test_the_queue_and_tasks_pages_show_the_reps_own_objects(rep_page, mine, theirs):
    assert f"/leads/{mine.lead.pk}/" in rep_page.get("/?lead_status=qualified").content.decode()
    assert "Call mine" in rep_page.get("/tasks/").content.decode()
    assert "mine deal" in rep_page.get(f"/contacts/{mine.contact.pk}/").content.decode()


# (method, URL name, the object the URL names, form body)
PAGE_OBJECT_ACTIONS = [
    ("get", "leads:lead-detail", "lead", None),
    ("post", "leads:lead-log", "lead", {"type": "call", "description": "x"}),
    ("post", "leads:lead-status", "lead", {"lead_status": "contacted"}),
    ("post", "leads:lead-qualify", "lead", {"has_budget": "on"}),
    ("post", "conversion:lead-convert", "lead", {"create_opportunity": "on"}),
    ("post", "leads:task-complete", "task", {}),
    ("get", "conversion:contact-detail", "contact", None),
]


@pytest.mark.parametrize(("method", "name", "kind", "body"), PAGE_OBJECT_ACTIONS)
def test_a_rep_acting_on_another_reps_object_through_a_page_gets_404(
    rep_page, theirs, method, name, kind, body
):
    lead_before = Lead.objects.values().get(pk=theirs.lead.pk)

    response = send(rep_page, method, object_url(name, theirs, kind), body)

    assert response.status_code == 404
    assert Lead.objects.values().get(pk=theirs.lead.pk) == lead_before
    assert Task.objects.get(pk=theirs.task.pk).completed_at is None


@pytest.mark.parametrize(("method", "name", "kind", "body"), PAGE_OBJECT_ACTIONS)
def test_the_same_page_action_on_the_reps_own_object_works(
    rep_page, mine, method, name, kind, body
):
    response = send(rep_page, method, object_url(name, mine, kind), body)

    assert response.status_code == (200 if method == "get" else 303)


# --- API3: fields the workflow owns are refused per field ----------------------------------

READ_ONLY_FOR_EVERYONE = [
    ("score", 99),
    ("grade", "A+"),
    ("qualified", False),
    ("qualified_at", "2026-01-01T00:00:00Z"),
    ("converted", True),
    ("converted_at", "2026-01-01T00:00:00Z"),
    ("contact", None),
    ("assigned_at", "2026-01-01T00:00:00Z"),
    ("first_response_at", "2026-01-01T00:00:00Z"),
    ("do_not_email", True),
    ("nurture_sequence", None),
    ("nurture_next_step_at", None),
    ("response_time_seconds", 1),
    ("updated_at", "2026-01-01T00:00:00Z"),
    ("id", "00000000-0000-0000-0000-000000000000"),
    ("created_at", "2026-01-01T00:00:00Z"),
    # Statuses that only qualifying or converting set.
    ("lead_status", LeadStatus.NEW),
    ("lead_status", LeadStatus.UNQUALIFIED),
    ("lead_status", LeadStatus.CONVERTED),
]


@pytest.mark.parametrize(("field", "value"), [*READ_ONLY_FOR_EVERYONE, ("assigned_to", None)])
def test_a_rep_cannot_set_fields_the_workflow_owns(rep_client, mine, field, value):
    before = Lead.objects.values().get(pk=mine.lead.pk)

    response = rep_client.patch(
        f"/api/v1/leads/{mine.lead.pk}/", {field: value, "title": "CEO"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Lead.objects.values().get(pk=mine.lead.pk) == before


@pytest.mark.parametrize(("field", "value"), READ_ONLY_FOR_EVERYONE)
def test_a_manager_cannot_set_them_either(manager_client, mine, field, value):
    before = Lead.objects.values().get(pk=mine.lead.pk)

    response = manager_client.patch(f"/api/v1/leads/{mine.lead.pk}/", {field: value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Lead.objects.values().get(pk=mine.lead.pk) == before


def test_a_rep_cannot_skip_qualification_and_a_manager_can(rep_client, manager_client, rep):
    lead = LeadFactory(assigned_to=rep)

    refused = rep_client.post(f"/api/v1/leads/{lead.pk}/convert/", {"force": True}, format="json")

    assert refused.status_code == 400
    assert list(refused.json()) == ["force"]
    lead.refresh_from_db()
    assert not lead.converted
    forced = manager_client.post(
        f"/api/v1/leads/{lead.pk}/convert/", {"force": True}, format="json"
    )
    assert forced.status_code == 201


def test_a_rep_cannot_force_a_conversion_from_the_page(rep_page, rep):
    lead = LeadFactory(assigned_to=rep, qualified=True, lead_status=LeadStatus.QUALIFIED)

    response = rep_page.post(f"/leads/{lead.pk}/convert/", {"force": "on"}, follow=True)

    assert "Only managers may convert" in response.content.decode()
    lead.refresh_from_db()
    assert not lead.converted


# --- API5: managers alone reassign, export, see the funnel and edit rules ------------------

# (method, URL, body) for a rep on their own lead; a manager's answer.
MANAGER_ONLY = [
    ("post", "/api/v1/leads/{lead}/assign/", {"user": "{rep}"}, 200, "api"),
    ("get", "/api/v1/metrics/funnel/", None, 200, "api"),
    ("post", "/leads/{lead}/assign/", {"user": "{rep}"}, 303, "page"),
    ("get", "/leads/export.csv", None, 200, "page"),
    ("get", "/dashboard/", None, 200, "page"),
]


def fill(template, mine: Owned, rep: User):
    if template is None:
        return None
    if isinstance(template, dict):
        return {key: fill(value, mine, rep) for key, value in template.items()}
    return template.format(lead=mine.lead.pk, rep=rep.pk)


@pytest.mark.parametrize(("method", "url", "body", "_", "kind"), MANAGER_ONLY)
def test_managers_alone_reassign_export_and_see_the_funnel(
    rep_client, rep_page, rep, other_rep, mine, method, url, body, _, kind
):
    client = rep_client if kind == "api" else rep_page
    body = fill(body, mine, other_rep)

    response = send(client, method, fill(url, mine, rep), body)

    assert response.status_code == 403
    mine.lead.refresh_from_db()
    assert mine.lead.assigned_to == rep


@pytest.mark.parametrize(("method", "url", "body", "status", "kind"), MANAGER_ONLY)
def test_a_manager_may(
    manager_client, manager_page, other_rep, mine, method, url, body, status, kind
):
    client = manager_client if kind == "api" else manager_page

    response = send(client, method, fill(url, mine, other_rep), fill(body, mine, other_rep))

    assert response.status_code == status


def test_the_export_button_is_only_on_the_managers_queue(rep_page, manager_page):
    assert "/leads/export.csv" not in rep_page.get("/").content.decode()
    assert "/leads/export.csv" in manager_page.get("/").content.decode()


RULE_ADMIN_PAGES = [
    "/admin/",
    "/admin/scoring/scoringrule/",
    "/admin/scoring/scoringrule/add/",
    "/admin/scoring/gradeband/",
    "/admin/scoring/scoringsettings/",
    "/admin/assignment/assignmentrule/",
    "/admin/assignment/assignmentrule/add/",
    "/admin/assignment/team/",
    "/admin/assignment/routingsettings/",
    "/admin/assignment/nurturesequence/",
    "/admin/assignment/nurturestep/",
]


@pytest.mark.parametrize("path", RULE_ADMIN_PAGES)
def test_a_rep_has_no_admin(rep_page, path):
    response = rep_page.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", RULE_ADMIN_PAGES[1:])
def test_a_rep_made_staff_by_mistake_still_cannot_touch_rules(path):
    client = Client()
    client.force_login(UserFactory(username="staff-rep", is_staff=True))

    assert client.get(path).status_code == 403


def test_a_rep_cannot_add_a_rule_through_admin(rep_page):
    before = ScoringRule.objects.count()
    rep_page.post(
        "/admin/scoring/scoringrule/add/",
        {"name": "Me", "category": "demographic", "field": "title", "operator": "contains",
         "value": "x", "points": "100"},
    )  # fmt: skip

    assert ScoringRule.objects.count() == before


@pytest.mark.parametrize("path", RULE_ADMIN_PAGES)
def test_a_manager_edits_rules_in_admin(path, admin_client):
    assert admin_client.get(path).status_code == 200


# --- A capture key captures and posts events, and reads nothing ----------------------------

CAPTURE_KEY_REFUSED = [
    ("get", "/api/v1/"),
    ("get", "/api/v1/schema/"),
    ("get", "/api/v1/docs/"),
    ("get", "/api/v1/leads/"),
    ("get", "/api/v1/leads.json"),
    ("get", "/api/v1/leads/{lead}/"),
    ("patch", "/api/v1/leads/{lead}/"),
    ("get", "/api/v1/leads/{lead}/activities/"),
    ("post", "/api/v1/leads/{lead}/activities/"),
    ("post", "/api/v1/leads/{lead}/assign/"),
    ("post", "/api/v1/leads/{lead}/qualify/"),
    ("get", "/api/v1/leads/{lead}/score/"),
    ("post", "/api/v1/leads/{lead}/convert/"),
    ("get", "/api/v1/tasks/"),
    ("get", "/api/v1/tasks/{task}/"),
    ("post", "/api/v1/tasks/{task}/complete/"),
    ("get", "/api/v1/contacts/"),
    ("get", "/api/v1/contacts/{contact}/"),
    ("get", "/api/v1/companies/"),
    ("get", "/api/v1/companies/{company}/"),
    ("get", "/api/v1/deals/"),
    ("get", "/api/v1/deals/{deal}/"),
    ("get", "/api/v1/metrics/funnel/"),
]


@pytest.mark.parametrize(("method", "url"), CAPTURE_KEY_REFUSED)
def test_a_capture_key_gets_403_everywhere_but_capture_and_events(
    capture_client, mine, method, url
):
    url = url.format(
        lead=mine.lead.pk,
        task=mine.task.pk,
        contact=mine.contact.pk,
        company=mine.company.pk,
        deal=mine.deal.pk,
    )
    lead_before = Lead.objects.values().get(pk=mine.lead.pk)

    response = send(capture_client, method, url, {"first_name": "Mallory"})

    assert response.status_code == 403
    assert "mine" not in response.content.decode()
    assert Lead.objects.values().get(pk=mine.lead.pk) == lead_before


CAPTURE_KEY_ALLOWED = [
    ("post", "/api/v1/capture/", {"email": "new@acme.example"}),
    ("post", "/api/v1/events/", {"email": "new@acme.example", "type": "page_viewed"}),
]


def test_a_capture_key_captures_and_posts_events(capture_client):
    statuses = [send(capture_client, *row).status_code for row in CAPTURE_KEY_ALLOWED]

    assert statuses == [201, 201]


def test_the_schema_stays_public_for_people(api_client, rep_client):
    assert api_client.get("/api/v1/schema/").status_code == 200
    assert rep_client.get("/api/v1/schema/").status_code == 200


# --- Every endpoint is in this matrix ------------------------------------------------------

# Pages and endpoints anyone may open: signing in and out (the site's and the browsable API's),
# the public web-to-lead form, the unsubscribe link (a signed token), the health probe.
PUBLIC = {
    "login",
    "logout",
    "rest_framework:login",
    "rest_framework:logout",
    "leads:capture-form",
    "leads:unsubscribe",
    "healthz",
}


class AnyId(dict):
    """Fills every placeholder of a matrix URL with an id of the right shape."""

    def __missing__(self, key):
        return "00000000-0000-0000-0000-000000000001"


def matrix_url_names() -> set[str]:
    """The URL names that the rows of the tables above reach, each row resolved."""
    names = {row[1] for row in [*API_OBJECT_ACTIONS, *PAGE_OBJECT_ACTIONS]}
    paths = [
        *(path for path, _ in API_LISTS),
        *PAGE_LISTS,
        *(row[1] for row in [*MANAGER_ONLY, *CAPTURE_KEY_REFUSED, *CAPTURE_KEY_ALLOWED]),
    ]
    for path in paths:
        names.add(resolve(urlsplit(path.format_map(AnyId())).path).view_name)
    return names


def url_names(patterns, namespace: str = "") -> set[str]:
    """Every URL name, with its namespace ("leads:lead-detail") as reverse() takes it."""
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":  # admin is covered by the rule pages above
                inner = f"{pattern.namespace}:" if pattern.namespace else namespace
                names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_endpoint_is_in_the_matrix():
    assert url_names(get_resolver().url_patterns) - PUBLIC - matrix_url_names() == set()


def test_the_matrix_names_only_endpoints_that_exist():
    assert matrix_url_names() - url_names(get_resolver().url_patterns) == set()
