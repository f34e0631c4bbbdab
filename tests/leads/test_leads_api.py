"""The leads API for sales reps (their own leads) and managers (every lead), over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from leads.models import Lead, LeadActivity
from scoring.models import GradeBand

from ..factories import LeadActivityFactory, LeadFactory, ManagerFactory, TaskFactory, UserFactory

URL = "/api/v1/leads/"

pytestmark = pytest.mark.django_db


def detail_url(lead):
    return f"{URL}{lead.pk}/"


def activities_url(lead):
    return f"{URL}{lead.pk}/activities/"


def result_ids(response):
    return [row["id"] for row in response.json()["results"]]


def result_emails(response):
    return [row["email"] for row in response.json()["results"]]


def db_row(lead):
    """Every column of the lead as stored, to show that a refused write changed nothing."""
    return Lead.objects.filter(pk=lead.pk).values().get()


def at(month, day, hour=12):
    return datetime(2025, month, day, hour, tzinfo=UTC)


# Visibility and authentication


def test_rep_lists_only_leads_assigned_to_them(rep_client, rep, other_rep):
    mine = LeadFactory.create_batch(2, assigned_to=rep)
    LeadFactory(assigned_to=other_rep)
    LeadFactory(assigned_to=None)

    response = rep_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert set(result_ids(response)) == {str(lead.pk) for lead in mine}


def test_rep_gets_their_own_lead(rep_client, rep):
    lead = LeadFactory(assigned_to=rep, first_name="Jane")

    response = rep_client.get(detail_url(lead))

    assert response.status_code == 200
    assert response.json()["id"] == str(lead.pk)
    assert response.json()["first_name"] == "Jane"
    assert response.json()["assigned_to"] == rep.pk


@pytest.mark.parametrize("owner", ["other_rep", None])
def test_rep_cannot_read_a_lead_that_is_not_theirs(rep_client, other_rep, owner):
    lead = LeadFactory(assigned_to=other_rep if owner else None)

    assert rep_client.get(detail_url(lead)).status_code == 404


def test_rep_cannot_patch_another_reps_lead(rep_client, other_rep):
    lead = LeadFactory(assigned_to=other_rep, first_name="Bob")
    before = db_row(lead)

    response = rep_client.patch(detail_url(lead), {"first_name": "Hijacked"}, format="json")

    assert response.status_code == 404
    assert db_row(lead) == before
    assert not LeadActivity.objects.exists()


def test_manager_sees_every_lead(manager_client, rep, other_rep):
    leads = [
        LeadFactory(assigned_to=rep),
        LeadFactory(assigned_to=other_rep),
        LeadFactory(assigned_to=None),
    ]

    response = manager_client.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert set(result_ids(response)) == {str(lead.pk) for lead in leads}
    assert manager_client.get(detail_url(leads[1])).status_code == 200


def test_anonymous_request_is_refused_with_401(api_client, rep):
    lead = LeadFactory(assigned_to=rep)

    for url in (URL, detail_url(lead), activities_url(lead)):
        response = api_client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert "credentials were not provided" in response.json()["detail"]
    assert api_client.patch(detail_url(lead), {"first_name": "X"}, format="json").status_code == 401
    assert Lead.objects.get(pk=lead.pk).first_name != "X"


def test_signed_in_user_without_a_role_is_refused(api_client):
    lead = LeadFactory(first_name="Jane")
    api_client.force_authenticate(UserFactory(username="no-role", role=""))

    response = api_client.get(URL)

    assert response.status_code == 403
    assert "sales reps and sales managers" in response.json()["detail"]
    assert api_client.get(detail_url(lead)).status_code == 403
    assert api_client.get(activities_url(lead)).status_code == 403
    assert api_client.patch(detail_url(lead), {"first_name": "X"}, format="json").status_code == 403
    assert Lead.objects.get(pk=lead.pk).first_name == "Jane"


def test_token_authentication_works(api_client, rep, other_rep):
    mine = LeadFactory(assigned_to=rep)
    LeadFactory(assigned_to=other_rep)
    token = Token.objects.create(user=rep)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api_client.get(URL)

    assert response.status_code == 200
    assert result_ids(response) == [str(mine.pk)]


def test_unknown_token_is_refused(api_client, rep):
    LeadFactory(assigned_to=rep)
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_session_login_works(api_client, rep):
    lead = LeadFactory(assigned_to=rep)
    # The login lockout counts by the request, so authenticate() needs one (django-axes).
    assert api_client.login(
        request=HttpRequest(), username=rep.username, password="secret-pass-123"
    )

    response = api_client.get(URL)

    assert response.status_code == 200
    assert result_ids(response) == [str(lead.pk)]


# PATCH


def test_rep_edits_their_lead_and_the_timeline_records_the_changes(rep_client, rep):
    lead = LeadFactory(assigned_to=rep, first_name="Jane", company="Acme", lead_status="new")

    response = rep_client.patch(
        detail_url(lead),
        {"first_name": "Janet", "company": "Globex", "lead_status": "contacted"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["first_name"], body["company"], body["lead_status"]) == (
        "Janet",
        "Globex",
        "contacted",
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.company, lead.lead_status) == ("Janet", "Globex", "contacted")
    activity = LeadActivity.objects.get(lead=lead)
    assert activity.type == "updated"
    assert activity.created_by == rep
    assert activity.metadata["changes"] == {
        "first_name": ["Jane", "Janet"],
        "company": ["Acme", "Globex"],
        "lead_status": ["new", "contacted"],
    }


def test_patch_that_changes_nothing_adds_no_activity(rep_client, rep):
    lead = LeadFactory(assigned_to=rep, first_name="Jane")

    response = rep_client.patch(detail_url(lead), {"first_name": "Jane"}, format="json")

    assert response.status_code == 200
    assert not LeadActivity.objects.exists()


def test_each_patch_appends_its_own_activity(rep_client, rep):
    lead = LeadFactory(assigned_to=rep, first_name="Jane")

    rep_client.patch(detail_url(lead), {"first_name": "Janet"}, format="json")
    rep_client.patch(detail_url(lead), {"first_name": "Janine"}, format="json")

    changes = [a.metadata["changes"] for a in LeadActivity.objects.order_by("created_at")]
    assert changes == [{"first_name": ["Jane", "Janet"]}, {"first_name": ["Janet", "Janine"]}]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score", 90),
        ("grade", "A"),
        ("qualified", True),
        ("converted", True),
        ("assigned_to", "other_rep"),
    ],
)
def test_rep_cannot_change_protected_fields(rep_client, rep, other_rep, field, value):
    lead = LeadFactory(assigned_to=rep, first_name="Jane", score=10, grade="C")
    if value == "other_rep":
        value = other_rep.pk
    before = db_row(lead)

    # An allowed change alongside the refused one must not slip through either.
    response = rep_client.patch(
        detail_url(lead), {field: value, "first_name": "Janet"}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert "first_name" not in response.json()
    assert db_row(lead) == before
    assert not LeadActivity.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("score", 90), ("qualified", True), ("id", "x")])
def test_manager_cannot_change_workflow_fields_either(manager_client, field, value):
    lead = LeadFactory(score=10)
    before = db_row(lead)

    response = manager_client.patch(detail_url(lead), {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert db_row(lead) == before


def test_manager_assigns_a_lead_to_a_rep(manager_client, manager, rep, rep_client):
    lead = LeadFactory(assigned_to=None)
    assert rep_client.get(detail_url(lead)).status_code == 404

    response = manager_client.patch(detail_url(lead), {"assigned_to": rep.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["assigned_to"] == rep.pk
    assert response.json()["assigned_at"] is not None
    lead.refresh_from_db()
    assert lead.assigned_to == rep
    assert lead.assigned_at is not None
    activity = LeadActivity.objects.get(lead=lead)
    assert activity.type == "assigned"
    assert activity.created_by == manager
    assert activity.metadata == {"assigned_to": rep.pk, "previous": None, "by": manager.pk}
    # The rep now has it.
    assert rep_client.get(detail_url(lead)).status_code == 200


def test_manager_unassigns_a_lead(manager_client, rep):
    lead = LeadFactory(assigned_to=rep, assigned_at=at(1, 1))

    response = manager_client.patch(detail_url(lead), {"assigned_to": None}, format="json")

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert lead.assigned_at is None
    activity = LeadActivity.objects.get(lead=lead)
    assert (activity.type, activity.description) == ("assigned", "Unassigned")


@pytest.mark.parametrize("assignee", ["no_role", "inactive", "missing"])
def test_manager_cannot_assign_to_someone_who_is_not_an_active_sales_user(manager_client, assignee):
    lead = LeadFactory(assigned_to=None)
    pk = {
        "no_role": lambda: UserFactory(username="clerk", role="").pk,
        "inactive": lambda: UserFactory(username="gone", is_active=False).pk,
        "missing": lambda: 999_999,
    }[assignee]()

    response = manager_client.patch(detail_url(lead), {"assigned_to": pk}, format="json")

    assert response.status_code == 400
    assert "assigned_to" in response.json()
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert not LeadActivity.objects.exists()


def test_a_rep_cannot_change_a_leads_email(rep_client, rep):
    # Were it allowed, "another lead has this email" would tell a rep which addresses other
    # reps' leads hold.
    LeadFactory(email="taken@example.com")
    lead = LeadFactory(assigned_to=rep, email="mine@example.com")

    for email in ["taken@example.com", "free@example.com"]:
        response = rep_client.patch(detail_url(lead), {"email": email}, format="json")

        assert response.status_code == 400
        assert response.json() == {"email": ["You cannot change this field."]}
    assert Lead.objects.get(pk=lead.pk).email == "mine@example.com"
    assert not LeadActivity.objects.exists()


def test_patch_to_an_email_another_lead_has_answers_400(manager_client, rep):
    LeadFactory(email="taken@example.com")
    lead = LeadFactory(assigned_to=rep, email="mine@example.com")

    response = manager_client.patch(
        detail_url(lead), {"email": " Taken@Example.COM "}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()
    assert Lead.objects.get(pk=lead.pk).email == "mine@example.com"
    assert not LeadActivity.objects.exists()


def test_patch_keeping_the_leads_own_email_is_accepted(manager_client, rep):
    lead = LeadFactory(assigned_to=rep, email="mine@example.com")

    response = manager_client.patch(detail_url(lead), {"email": "MINE@example.com"}, format="json")

    assert response.status_code == 200
    assert response.json()["email"] == "mine@example.com"


def test_patched_email_is_stored_trimmed_and_lower_cased(manager_client, rep):
    lead = LeadFactory(assigned_to=rep, email="old@example.com")

    response = manager_client.patch(
        detail_url(lead), {"email": "  Jane.NEW@Example.COM  "}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "jane.new@example.com"
    assert Lead.objects.get(pk=lead.pk).email == "jane.new@example.com"
    activity = LeadActivity.objects.get(lead=lead)
    assert activity.metadata["changes"] == {"email": ["old@example.com", "jane.new@example.com"]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"lead_status": "bogus"}, "lead_status"),
        ({"employee_count": -1}, "employee_count"),
        ({"custom_fields": ["a"]}, "custom_fields"),
    ],
)
def test_invalid_values_answer_400(rep_client, rep, payload, field):
    lead = LeadFactory(assigned_to=rep, lead_status="new")
    before = db_row(lead)

    response = rep_client.patch(detail_url(lead), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert db_row(lead) == before


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_not_allowed(manager_client, method):
    lead = LeadFactory(first_name="Jane")
    before = db_row(lead)

    response = getattr(manager_client, method)(
        detail_url(lead), {"first_name": "X", "email": lead.email}, format="json"
    )

    assert response.status_code == 405
    assert db_row(lead) == before


def test_leads_cannot_be_created_through_the_leads_api(manager_client):
    response = manager_client.post(URL, {"email": "new@example.com"}, format="json")

    assert response.status_code == 405
    assert not Lead.objects.exists()


# Filters


@pytest.fixture
def catalog(rep, other_rep):
    """Four leads that differ in every filtered field, known by their email."""
    LeadFactory(
        email="a@x.com",
        lead_status="new",
        grade="A",
        lead_source="webinar",
        assigned_to=rep,
        qualified=True,
        score=80,
        created_at=at(1, 10),
    )
    LeadFactory(
        email="b@x.com",
        lead_status="contacted",
        grade="B",
        lead_source="website_form",
        assigned_to=other_rep,
        score=50,
        created_at=at(2, 10),
    )
    LeadFactory(
        email="c@x.com",
        lead_status="qualified",
        grade="A",
        lead_source="api",
        assigned_to=None,
        qualified=True,
        converted=True,
        score=20,
        created_at=at(3, 10),
    )
    LeadFactory(
        email="d@x.com",
        lead_status="unqualified",
        grade="",
        lead_source="webinar",
        assigned_to=rep,
        score=0,
        created_at=at(4, 10),
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "abcd"),
        ({"lead_status": "new"}, "a"),
        ({"lead_status": ["new", "contacted"]}, "ab"),
        ({"grade": "A"}, "ac"),
        ({"lead_source": "webinar"}, "ad"),
        ({"assigned_to": "rep"}, "ad"),
        ({"assigned_to": "other_rep"}, "b"),
        ({"unassigned": "true"}, "c"),
        ({"qualified": "true"}, "ac"),
        ({"qualified": "false"}, "bd"),
        ({"converted": "true"}, "c"),
        ({"converted": "false"}, "abd"),
        ({"score_min": 50}, "ab"),
        ({"score_max": 50}, "bcd"),
        ({"score_min": 20, "score_max": 50}, "bc"),
        ({"created_after": at(2, 10).isoformat()}, "bcd"),
        ({"created_after": "2025-02-10T13:00:00+01:00"}, "bcd"),
        ({"created_after": "2025-02-10T12:00:01Z"}, "cd"),
        ({"created_before": at(3, 10).isoformat()}, "ab"),
        ({"created_after": "2025-02-01T00:00:00Z", "created_before": "2025-04-01T00:00:00Z"}, "bc"),
        ({"lead_status": ["new", "qualified"], "grade": "A", "converted": "false"}, "a"),
    ],
)
def test_list_filters(manager_client, rep, other_rep, catalog, params, expected):
    users = {"rep": rep.pk, "other_rep": other_rep.pk}
    if params.get("assigned_to") in users:
        params = {**params, "assigned_to": users[params["assigned_to"]]}

    response = manager_client.get(URL, params)

    assert response.status_code == 200, response.json()
    assert sorted(result_emails(response)) == [f"{name}@x.com" for name in expected]
    assert response.json()["count"] == len(expected)


def test_filters_apply_within_a_reps_own_leads(rep_client, catalog):
    response = rep_client.get(URL, {"lead_source": "webinar", "score_min": 10})

    assert result_emails(response) == ["a@x.com"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("score_min", "abc"),
        ("score_max", "lots"),
        ("lead_status", "bogus"),
        ("assigned_to", "bob"),
        ("created_after", "yesterday"),
        ("created_before", "2025-13-45T00:00:00Z"),
        ("ordering", "email"),
        ("search", "x" * 201),
        ("qualified", "bogus"),
        ("converted", "maybe"),
        ("unassigned", "perhaps"),
        ("assigned_to", "2.7"),
        ("assigned_to", "99999999999999999999999"),
    ],
)
def test_invalid_filter_values_answer_400(manager_client, name, value):
    LeadFactory()

    response = manager_client.get(URL, {name: value})

    assert response.status_code == 400
    assert name in response.json(), response.json()


def test_a_grade_outside_the_current_bands_answers_400(manager_client):
    GradeBand.objects.all().delete()
    GradeBand.objects.create(grade="Hot", min_score=70)
    LeadFactory(grade="Z")
    LeadFactory(grade="Hot")

    response = manager_client.get(URL, {"grade": "Z"})

    assert response.status_code == 400
    assert "grade" in response.json(), response.json()
    # The bands are read when the filter is checked: one made in admin filters at once.
    assert manager_client.get(URL, {"grade": "Hot"}).json()["count"] == 1


# Search


@pytest.fixture
def people():
    LeadFactory(first_name="Jane", last_name="Doe", email="jane.doe@acme.com", company="Acme Corp")
    LeadFactory(first_name="Jane", last_name="Smith", email="jsmith@other.org", company="Other Ltd")
    LeadFactory(first_name="Bob", last_name="Stone", email="bob@initech.io", company="Initech")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jan", {"jane.doe@acme.com", "jsmith@other.org"}),
        ("JANE", {"jane.doe@acme.com", "jsmith@other.org"}),
        ("smi", {"jsmith@other.org"}),
        ("STONE", {"bob@initech.io"}),
        ("bob@init", {"bob@initech.io"}),
        ("jsmith@other.org", {"jsmith@other.org"}),
        ("initech.io", {"bob@initech.io"}),
        ("acme", {"jane.doe@acme.com"}),
        ("Other Ltd", {"jsmith@other.org"}),
        ("nitech", {"bob@initech.io"}),
        ("jane acme", {"jane.doe@acme.com"}),
        ("ACME jane", {"jane.doe@acme.com"}),
        ("jane other", {"jsmith@other.org"}),
        ("jane  doe", {"jane.doe@acme.com"}),
        ("jane initech", set()),
        ("ane acme", {"jane.doe@acme.com"}),
        ("jane cme", {"jane.doe@acme.com"}),
        ("doe acme.com", {"jane.doe@acme.com"}),
        ("j smith", {"jsmith@other.org"}),
        ("nobody", set()),
    ],
)
def test_search(manager_client, people, term, expected):
    response = manager_client.get(URL, {"search": term})

    assert response.status_code == 200
    assert set(result_emails(response)) == expected


def test_search_finds_only_the_reps_own_leads(rep_client, rep, other_rep):
    mine = LeadFactory(assigned_to=rep, first_name="Jane", company="Acme")
    LeadFactory(assigned_to=other_rep, first_name="Jane", company="Acme")

    response = rep_client.get(URL, {"search": "jane acme"})

    assert result_ids(response) == [str(mine.pk)]


# Ordering


@pytest.fixture
def trio():
    """Three leads whose score, created_at and updated_at orders all differ."""
    leads = {
        "x": LeadFactory(email="x@x.com", score=50, created_at=at(1, 1)),
        "y": LeadFactory(email="y@x.com", score=90, created_at=at(1, 3)),
        "z": LeadFactory(email="z@x.com", score=10, created_at=at(1, 2)),
    }
    for name, day in (("x", 3), ("y", 2), ("z", 1)):
        Lead.objects.filter(pk=leads[name].pk).update(updated_at=at(3, day))
    return leads


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, "yzx"),
        ("-created_at", "yzx"),
        ("created_at", "xzy"),
        ("-score", "yxz"),
        ("score", "zxy"),
        ("-updated_at", "xyz"),
        ("updated_at", "zyx"),
    ],
)
def test_ordering(manager_client, trio, ordering, expected):
    params = {"ordering": ordering} if ordering else {}

    response = manager_client.get(URL, params)

    assert response.status_code == 200
    assert result_emails(response) == [f"{name}@x.com" for name in expected]


# Pagination


def test_list_is_paginated_with_links(manager_client):
    leads = [LeadFactory(created_at=at(1, day)) for day in range(1, 6)]
    newest_first = [str(lead.pk) for lead in reversed(leads)]

    first = manager_client.get(URL, {"page_size": 2})

    body = first.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert body["previous"] is None
    assert result_ids(first) == newest_first[:2]
    second = manager_client.get(body["next"])
    assert result_ids(second) == newest_first[2:4]
    assert second.json()["previous"] is not None
    last = manager_client.get(second.json()["next"])
    assert result_ids(last) == newest_first[4:]
    assert last.json()["next"] is None
    assert manager_client.get(URL, {"page_size": 2, "page": 4}).status_code == 404


def test_page_size_defaults_to_50_and_is_capped_at_200(manager_client):
    Lead.objects.bulk_create(LeadFactory.build_batch(201))

    assert len(manager_client.get(URL).json()["results"]) == 50
    assert len(manager_client.get(URL, {"page_size": 7}).json()["results"]) == 7
    assert len(manager_client.get(URL, {"page_size": 200}).json()["results"]) == 200
    response = manager_client.get(URL, {"page_size": 500})
    assert len(response.json()["results"]) == 200
    assert response.json()["count"] == 201


@pytest.mark.parametrize("ordering", [None, "-score", "score", "created_at", "-updated_at"])
def test_pages_never_repeat_or_skip_leads_that_tie(manager_client, ordering):
    same_moment = at(5, 1)
    created = LeadFactory.create_batch(30, score=40, created_at=same_moment)
    Lead.objects.update(updated_at=same_moment)
    params = {"page_size": 7, **({"ordering": ordering} if ordering else {})}

    seen = []
    response = manager_client.get(URL, params)
    while True:
        assert response.status_code == 200
        seen += result_ids(response)
        if response.json()["next"] is None:
            break
        response = manager_client.get(response.json()["next"])

    assert len(seen) == 30
    assert set(seen) == {str(lead.pk) for lead in created}


# Query count


def _leads_for_many_reps(count, reps):
    for i in range(count):
        LeadFactory(assigned_to=reps[i % len(reps)], score=i % 100)


def test_list_query_count_does_not_grow_with_the_leads(
    manager_client, django_assert_max_num_queries
):
    reps = [UserFactory() for _ in range(6)] + [ManagerFactory()]

    _leads_for_many_reps(5, reps)
    with django_assert_max_num_queries(3) as few:
        response = manager_client.get(URL, {"page_size": 50})
    assert len(response.json()["results"]) == 5

    _leads_for_many_reps(55, reps)
    with django_assert_max_num_queries(3) as many:
        response = manager_client.get(URL, {"page_size": 50, "search": "", "ordering": "-score"})
    assert len(response.json()["results"]) == 50

    assert len(many) == len(few)


def test_list_query_count_does_not_depend_on_the_page_size(
    manager_client, django_assert_max_num_queries
):
    _leads_for_many_reps(120, [UserFactory() for _ in range(4)])
    counts = []
    for page_size in (5, 50, 200):
        with django_assert_max_num_queries(3) as queries:
            response = manager_client.get(URL, {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, 120)
        counts.append(len(queries))

    assert len(set(counts)) == 1


def test_rep_list_query_count_does_not_grow_with_the_leads(
    rep_client, rep, django_assert_max_num_queries
):
    _leads_for_many_reps(5, [rep])
    with django_assert_max_num_queries(3) as few:
        rep_client.get(URL, {"page_size": 50})

    _leads_for_many_reps(55, [rep])
    with django_assert_max_num_queries(3) as many:
        response = rep_client.get(URL, {"page_size": 50})
    assert len(response.json()["results"]) == 50

    assert len(many) == len(few)


def test_activity_query_count_does_not_grow_with_the_activities(
    manager_client, django_assert_max_num_queries
):
    lead = LeadFactory()
    authors = [UserFactory() for _ in range(5)]

    LeadActivityFactory(lead=lead, created_by=authors[0])
    with django_assert_max_num_queries(4) as few:
        manager_client.get(activities_url(lead))

    for i in range(40):
        LeadActivityFactory(lead=lead, created_by=authors[i % len(authors)])
    with django_assert_max_num_queries(4) as many:
        response = manager_client.get(activities_url(lead))
    assert len(response.json()["results"]) == 41

    assert len(many) == len(few)


# Activities


def test_activities_newest_first_with_author_username(rep_client, rep):
    lead = LeadFactory(assigned_to=rep)
    LeadActivityFactory(lead=lead, type="call", created_by=rep, created_at=at(1, 1))
    LeadActivityFactory(lead=lead, type="email_opened", created_by=None, created_at=at(1, 3))
    LeadActivityFactory(lead=lead, type="note", created_by=rep, created_at=at(1, 2))
    LeadActivityFactory(type="meeting")  # another lead's

    response = rep_client.get(activities_url(lead))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["type"] for row in body["results"]] == ["email_opened", "note", "call"]
    assert [row["created_by"] for row in body["results"]] == [None, "rep-ann", "rep-ann"]
    assert set(body["results"][0]) == {
        "id",
        "type",
        "description",
        "metadata",
        "created_by",
        "created_at",
    }


def test_activities_are_paginated(manager_client):
    lead = LeadFactory()
    for day in range(1, 6):
        LeadActivityFactory(lead=lead, description=f"day {day}", created_at=at(2, day))

    first = manager_client.get(activities_url(lead), {"page_size": 2})

    assert first.json()["count"] == 5
    assert [row["description"] for row in first.json()["results"]] == ["day 5", "day 4"]
    assert first.json()["previous"] is None
    second = manager_client.get(first.json()["next"])
    assert [row["description"] for row in second.json()["results"]] == ["day 3", "day 2"]


def test_activities_of_another_reps_lead_answer_404(rep_client, other_rep):
    lead = LeadFactory(assigned_to=other_rep)
    LeadActivityFactory(lead=lead)

    assert rep_client.get(activities_url(lead)).status_code == 404


def test_activities_of_an_unknown_lead_answer_404(manager_client):
    lead = LeadFactory.build()

    assert manager_client.get(activities_url(lead)).status_code == 404


def test_manager_reads_any_leads_activities(manager_client, other_rep):
    lead = LeadFactory(assigned_to=other_rep)
    LeadActivityFactory(lead=lead, created_by=other_rep)

    response = manager_client.get(activities_url(lead))

    assert response.status_code == 200
    assert [row["created_by"] for row in response.json()["results"]] == ["rep-bob"]


def test_patch_shows_up_in_the_activity_list(rep_client, rep):
    lead = LeadFactory(assigned_to=rep, first_name="Jane")
    LeadActivityFactory(lead=lead, created_at=timezone.now() - timedelta(days=1))

    rep_client.patch(detail_url(lead), {"first_name": "Janet"}, format="json")
    response = rep_client.get(activities_url(lead))

    newest = response.json()["results"][0]
    assert newest["type"] == "updated"
    assert newest["created_by"] == "rep-ann"
    assert newest["metadata"] == {"changes": {"first_name": ["Jane", "Janet"]}}


# OpenAPI schema and docs


def test_schema_describes_the_leads_api(manager_client):
    response = manager_client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    assert set(paths["/api/v1/leads/"]) == {"get"}
    assert set(paths["/api/v1/leads/{id}/"]) == {"get", "patch"}
    assert "get" in paths["/api/v1/leads/{id}/activities/"]
    list_params = {p["name"] for p in paths["/api/v1/leads/"]["get"]["parameters"]}
    assert {"lead_status", "score_min", "search", "ordering", "page", "page_size"} <= list_params


def test_schema_defaults_to_yaml(manager_client):
    response = manager_client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_docs_page_loads_the_schema(manager_client):
    response = manager_client.get("/api/v1/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # The start-up script is a file of its own (the Content-Security-Policy allows no inline one).
    script = manager_client.get("/api/v1/docs/?script=")
    assert b"/api/v1/schema/" in script.content


def test_schema_and_docs_are_public(api_client):
    # drf-spectacular serves with AllowAny unless SERVE_PERMISSIONS says otherwise; the
    # schema lists endpoints only, never data.
    assert api_client.get("/api/v1/schema/").status_code == 200
    assert api_client.get("/api/v1/docs/").status_code == 200


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("new", "qualified"),
        ("contacted", "converted"),
        ("new", "unqualified"),
        ("qualified", "new"),
        ("converted", "contacted"),
    ],
)
def test_status_moves_that_belong_to_qualifying_or_converting_are_refused(
    rep_client, rep, current, requested
):
    lead = LeadFactory(assigned_to=rep, lead_status=current)

    response = rep_client.patch(detail_url(lead), {"lead_status": requested}, format="json")

    assert response.status_code == 400
    assert "lead_status" in response.json()
    assert Lead.objects.get(pk=lead.pk).lead_status == current
    assert not lead.activities.exists()


@pytest.mark.parametrize("body", ["null", "5", '"abc"', "[1, 2]"])
def test_patch_with_a_body_that_is_not_an_object_answers_400(rep_client, rep, body):
    lead = LeadFactory(assigned_to=rep)

    response = rep_client.patch(detail_url(lead), body, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_activities_of_a_malformed_id_answer_404(manager_client):
    assert manager_client.get("/api/v1/leads/not-a-uuid/activities/").status_code == 404


def test_a_manager_patching_an_invalid_email_gets_400(manager_client, rep):
    lead = LeadFactory(assigned_to=rep, email="mine@example.com")

    response = manager_client.patch(detail_url(lead), {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


@pytest.mark.parametrize(
    "query",
    [
        {"lead_status": "", "grade": "", "lead_source": "", "search": ""},
        {"assigned_to": "", "unassigned": "", "qualified": "", "converted": " "},
        {"score_min": "", "score_max": "", "created_after": "", "created_before": ""},
        {"ordering": ""},
    ],
)
def test_blank_filters_mean_no_filter(manager_client, rep, query):
    LeadFactory(assigned_to=rep)
    LeadFactory()

    response = manager_client.get(URL, query)

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 2


def test_a_blank_status_beside_a_real_one_filters_by_the_real_one(manager_client):
    LeadFactory(lead_status="new")
    LeadFactory(lead_status="contacted")

    response = manager_client.get(f"{URL}?lead_status=&lead_status=contacted")

    assert response.status_code == 200, response.json()
    assert [row["lead_status"] for row in response.json()["results"]] == ["contacted"]


def test_blank_task_filters_mean_no_filter(rep_client, rep):
    lead = LeadFactory(assigned_to=rep)
    TaskFactory(lead=lead, owner=rep)

    response = rep_client.get(
        "/api/v1/tasks/", {"lead": "", "owner": "", "open": "", "due_before": ""}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 1


def test_the_schema_states_the_largest_score_bound_the_filter_accepts(rep_client):
    schema = rep_client.get("/api/v1/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/leads/"]["get"]["parameters"]}
    for name in ("score_min", "score_max"):
        assert parameters[name]["schema"] == {"type": "number", "maximum": 1e50}
    # What the schema allows is accepted; one past it is the filter's 400, not a surprise.
    assert rep_client.get("/api/v1/leads/", {"score_max": "1e50"}).status_code == 200
    assert rep_client.get("/api/v1/leads/", {"score_max": "1e51"}).status_code == 400


def test_a_page_size_in_exponent_form_is_a_page_size(rep_client):
    # JSON Schema counts 1e+50 as an integer; the schema says a larger size gives the largest.
    response = rep_client.get("/api/v1/leads/", {"page_size": "1e+50"})
    assert response.status_code == 200
    assert rep_client.get("/api/v1/leads/", {"page_size": "2e0"}).status_code == 200
    assert rep_client.get("/api/v1/leads/", {"page_size": "1.5e0"}).status_code == 400
