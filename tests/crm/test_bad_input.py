"""Malformed input answers 400 or 404, never 500: deep JSON on the sales API, ids that are not
ids on admin history pages, dates past the calendar on admin date drill-downs."""

import pytest
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scoring.models import ScoringRule
from tests.factories import LeadFactory, ManagerFactory, TaskFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


def deep_json_targets(lead) -> list[tuple[str, str]]:
    base = f"/api/v1/leads/{lead.pk}"
    return [
        ("patch", f"{base}/"),
        ("post", f"{base}/activities/"),
        ("post", f"{base}/qualify/"),
        ("post", f"{base}/assign/"),
        ("post", f"{base}/convert/"),
    ]


@pytest.mark.parametrize("who", ["rep", "manager"])
@pytest.mark.parametrize("wrap", [DEEP, '{"custom_fields": ' + DEEP + "}"])
def test_deeply_nested_json_answers_400_on_every_sales_endpoint(request, rep, who, wrap):
    client = request.getfixturevalue(f"{who}_client")
    lead = LeadFactory(assigned_to=rep)

    for method, url in deep_json_targets(lead):
        if who == "rep" and url.endswith("/assign/"):
            continue  # reps may not assign: 403 before the body is read
        response = getattr(client, method)(url, wrap, content_type="application/json")

        assert response.status_code == 400, (method, url, response.status_code)
        assert "nested too deeply" in response.json()["detail"]


def test_json_nested_past_the_bound_is_refused_before_it_is_stored(rep_client, rep):
    lead = LeadFactory(assigned_to=rep)
    nested = "[" * 200 + "]" * 200

    response = rep_client.patch(
        f"/api/v1/leads/{lead.pk}/",
        '{"custom_fields": {"deep": ' + nested + "}}",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "JSON parse error - nested too deeply."
    lead.refresh_from_db()
    assert "deep" not in lead.custom_fields


def history_admins():
    return sorted(
        (
            (model._meta.app_label, model._meta.model_name)
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, SimpleHistoryAdmin)
        ),
    )


def test_every_history_page_answers_404_for_an_id_that_is_not_one(admin_client):
    pages = history_admins()
    assert ("scoring", "scoringrule") in pages and ("assignment", "team") in pages

    for app_label, model_name in pages:
        for bad in ("zzz", "99999999999999999999999999", "1.5"):
            response = admin_client.get(f"/admin/{app_label}/{model_name}/{bad}/history/")
            assert response.status_code == 404, (app_label, model_name, bad)


def test_a_history_version_page_answers_404_for_a_version_that_is_not_one(admin_client):
    rule = ScoringRule.objects.order_by("pk").first()

    for bad_object, bad_version in (("zzz", "1"), (rule.pk, "zzz"), ("zzz", "zzz")):
        response = admin_client.get(
            f"/admin/scoring/scoringrule/{bad_object}/history/{bad_version}/"
        )
        assert response.status_code == 404, (bad_object, bad_version)


def test_the_history_page_still_shows_a_rules_changes(admin_client):
    rule = ScoringRule.objects.order_by("pk").first()

    response = admin_client.get(f"/admin/scoring/scoringrule/{rule.pk}/history/")

    assert response.status_code == 200


def date_hierarchy_admins():
    return sorted(
        (model._meta.app_label, model._meta.model_name, model_admin.date_hierarchy)
        for model, model_admin in admin.site._registry.items()
        if model_admin.date_hierarchy
    )


FAR_DATES = [
    {"year": "9999", "month": "12", "day": "31"},
    {"year": "9999", "month": "12"},
    {"year": "9999"},
    {"year": "99999"},
    {"year": "1", "month": "1", "day": "1"},
]


def test_every_date_drill_down_answers_400_for_a_date_past_the_calendar(client):
    superuser = ManagerFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    TaskFactory(lead=LeadFactory(assigned_to=superuser))
    pages = date_hierarchy_admins()
    assert {("leads", "lead", "created_at"), ("leads", "task", "due_at")} <= set(pages)

    for app_label, model_name, field in pages:
        for date in FAR_DATES:
            query = "&".join(f"{field}__{part}={value}" for part, value in date.items())
            response = client.get(f"/admin/{app_label}/{model_name}/?{query}")
            # A year Python cannot hold is Django's own "?e=1" redirect.
            assert response.status_code in (200, 302, 400), (model_name, query)
        response = client.get(
            f"/admin/{app_label}/{model_name}/?{field}__year=9999&{field}__month=12&{field}__day=31"
        )
        assert response.status_code == 400, (model_name, response.status_code)


def test_a_date_drill_down_within_the_calendar_still_filters(admin_client, maria):
    lead = LeadFactory()
    day = lead.created_at

    response = admin_client.get(
        f"/admin/leads/lead/?created_at__year={day.year}&created_at__month={day.month}"
        f"&created_at__day={day.day}"
    )

    assert response.status_code == 200
    assert lead.email in response.content.decode()
