"""Hostile input to every endpoint a rep or a manager can reach answers 4xx, never 5xx.

Endpoints come from the URL resolver, so a new one is covered without editing this file.
Field and query parameter names come from the API schema and the pages' forms. Each request
puts one hostile value in every field at once: deep JSON, numbers no column holds, dates
outside what Python or the database can store, and ids that are not ids.
"""

import contextlib
import functools
import json
import sys
from urllib.parse import urlencode

import pytest
from django import forms
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from conversion.services import lead_convert
from leads import forms as lead_forms
from leads.models import Task
from leads.services import Bant, lead_assign, lead_qualify
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db

# Sign-in pages are someone else's concern (and counted by the login lockout); admin has its
# own cases below.
SKIPPED = {"login", "logout"}
DEEP = 5000
# JSON text, put as the value of every field.
VALUES = {
    "huge float": "1e400",
    "tiny float": "1e-20000",
    "huge int": str(10**30),
    "negative": "-1",
    "far date": '"9999-12-31"',
    "far datetime": '"9999-12-31T23:59:59Z"',
    "first date": '"0001-01-01"',
    "year 10000": '"10000-01-01"',
    "not an id": '"zzz"',
    "huge id": f'"{10**30}"',
    "nil uuid": '"00000000-0000-0000-0000-000000000000"',
    "nested": "[" * 50 + "]" * 50,
}
QUERY_VALUES = [
    "1e400",
    str(10**30),
    "-1",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "9999-12-31T23:59:59+00:00",
    "zzz",
    "[" * DEEP,
]
PATH_IDS = ["zzz", str(10**30), "-1", "00000000-0000-0000-0000-000000000000"]
# A few admin list views take dates and ids in their query strings.
ADMIN_URLS = [
    "/admin/leads/lead/?created_at__day=31&created_at__month=12&created_at__year=9999",
    "/admin/leads/lead/?created_at__year=10000",
    "/admin/leads/lead/?created_at__year=0",
    "/admin/leads/task/?due_at__day=31&due_at__month=12&due_at__year=9999",
    "/admin/leads/leadactivity/?created_at__year=9999&created_at__month=12&created_at__day=31",
    "/admin/conversion/deal/?created_at__year=9999&created_at__month=12&created_at__day=31",
    "/admin/crm/deadletter/?failed_at__year=9999&failed_at__month=12&failed_at__day=31",
    "/admin/scoring/scoringrule/zzz/history/",
    "/admin/scoring/scoringrule/zzz/change/",
    f"/admin/scoring/scoringrule/{10**30}/history/",
    "/admin/leads/lead/zzz/history/",
    "/admin/leads/lead/zzz/change/",
    "/admin/leads/lead/?assigned_to__id__exact=zzz",
    f"/admin/leads/lead/?assigned_to__id__exact={10**30}",
    "/admin/leads/lead/?p=99999999999999999999",
    "/admin/leads/lead/?o=999",
]


def write_methods(callback) -> tuple[str, ...]:
    """The methods that take a body: a viewset's actions, an API view's handlers; a page's
    view says nothing, so POST."""
    if getattr(callback, "actions", None):
        return tuple(m.upper() for m in callback.actions if m in ("post", "put", "patch"))
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view is not None:
        return tuple(m.upper() for m in ("post", "put", "patch") if hasattr(view, m))
    return ("POST",)


def endpoints(patterns=None, prefix: str = "") -> list[tuple[str, tuple]]:
    """(url name, (its keyword arguments, its write methods)) of every named URL outside
    admin, once each."""
    found: dict[str, tuple] = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue
            namespace = f"{entry.namespace}:" if entry.namespace else prefix
            for name, kwargs in endpoints(entry.url_patterns, namespace):
                found.setdefault(name, kwargs)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED:
            kwargs = tuple(entry.pattern.regex.groupindex)
            if "format" not in kwargs:
                found.setdefault(f"{prefix}{entry.name}", (kwargs, write_methods(entry.callback)))
    return sorted(found.items()) if patterns is None else list(found.items())


@functools.cache
def field_names() -> list[str]:
    """Every property and query parameter the API schema names, and the pages' form fields."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    names = set()
    for component in schema["components"]["schemas"].values():
        names.update(component.get("properties", {}))
    for path in schema["paths"].values():
        for operation in path.values():
            names.update(p["name"] for p in operation.get("parameters", []))
    for module in (lead_forms, sys.modules["conversion.views"]):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                names.update(value.base_fields)
    names.update(["since", "until", "amount", "close_date", "deal_name", "force", "page"])
    return sorted(names)


@pytest.fixture
def world():
    """A rep with a lead, a task and a converted lead (contact, company, deal), a manager."""
    rep, manager = UserFactory(username="hostile-rep"), ManagerFactory(username="hostile-boss")
    lead = lead_assign(lead=LeadFactory(company="Hostile Inc"), to=rep)
    won = lead_assign(lead=LeadFactory(company="Hostile Inc"), to=rep)
    lead_qualify(lead=won, bant=Bant(True, True, True, True), by=rep)
    conversion = lead_convert(lead=won, by=rep)
    task = Task.objects.filter(lead=lead).first()
    ids = {
        "lead": str(lead.pk),
        "task": str(task.pk),
        "contact": str(conversion.contact.pk),
        "company": str(conversion.company.pk),
        "deal": str(conversion.deal.pk),
    }
    return {"rep": rep, "manager": manager, "ids": ids}


def real_id(name: str, ids: dict) -> str:
    for kind in ("task", "contact", "company", "deal"):
        if kind in name:
            return ids[kind]
    return ids["lead"]


class Probe:
    def __init__(self, user) -> None:
        self.client = Client(raise_request_exception=False)
        self.client.force_login(user)
        self.failures: list[str] = []
        self.errors: list[BaseException] = []

    def __enter__(self):
        got_request_exception.connect(self.record)
        return self

    def __exit__(self, *exc):
        got_request_exception.disconnect(self.record)

    def record(self, sender, **kwargs):
        self.errors.append(sys.exc_info()[1])

    def send(self, method: str, url: str, body=None, label: str = "") -> None:
        self.errors.clear()
        if isinstance(body, dict):  # a form post, as the pages send
            kwargs = {"data": urlencode(body), "content_type": "application/x-www-form-urlencoded"}
        elif body is not None:
            kwargs = {"data": body, "content_type": "application/json"}
        else:
            kwargs = {}
        response = getattr(self.client, method.lower())(url, **kwargs)
        if response.streaming:
            try:
                b"".join(response.streaming_content)
            except Exception as exc:
                self.errors.append(exc)
        if response.status_code >= 500 or self.errors:
            last = self.errors[-1] if self.errors else None
            why = f"{type(last).__name__}: {str(last)[:200]}" if last else ""
            self.failures.append(f"{method} {url[:120]} ({label}): {response.status_code} {why}")


def hostile_bodies() -> dict[str, str]:
    bodies = {
        "deep JSON, unclosed": "[" * DEEP,
        "deep JSON": "[" * DEEP + "]" * DEEP,
        "deep JSON in a field": '{"custom_fields": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
    }
    for label, value in VALUES.items():
        bodies[label] = "{" + ", ".join(f"{json.dumps(n)}: {value}" for n in field_names()) + "}"
    return bodies


@pytest.mark.parametrize("role", ["rep", "manager"])
@pytest.mark.parametrize(
    ("name", "shape"), endpoints(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_hostile_input_answers_4xx(world, role, name, shape):
    kwargs, methods = shape
    ids = world["ids"]
    real = {key: real_id(name, ids) for key in kwargs}
    urls = [reverse(name, kwargs=real)]
    for bad in PATH_IDS if kwargs else []:
        # A converter that refuses the id (uuid) means the URL cannot even be formed.
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(name, kwargs=dict.fromkeys(kwargs, bad)))

    with Probe(world[role]) as probe:
        for url in urls:
            probe.send("GET", url, label="path id")
        base = urls[0]
        for value in QUERY_VALUES:
            query = urlencode(dict.fromkeys(field_names(), value))
            probe.send("GET", f"{base}?{query}", label=f"query {value[:12]}")
        for method in methods:
            for label, body in hostile_bodies().items():
                probe.send(method, base, body, label=label)
            for value in QUERY_VALUES:
                form = dict.fromkeys(field_names(), value)
                probe.send(method, base, form, label=f"form {value[:12]}")

    assert not probe.failures, "\n".join(probe.failures)


def test_hostile_admin_queries_answer_4xx(world, settings):
    from crm.models import Role, User

    admin_user = User.objects.create_superuser("hostile-root", "root@crm.test", "root-pass-2026")
    manager = world["manager"]
    assert manager.role == Role.MANAGER
    failures = []
    for user in (manager, admin_user):
        with Probe(user) as probe:
            for url in ADMIN_URLS:
                probe.send("GET", url, label=user.username)
        failures += probe.failures

    assert not failures, "\n".join(failures)
