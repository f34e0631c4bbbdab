"""Managers edit the rules in admin; every saved change rescores the leads."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leads.models import Lead, LeadStatus
from scoring.models import ScoringRule, ScoringSettings
from scoring.services import leads_rescore
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def rule_form(**changes) -> dict:
    form = {
        "name": "Big teams",
        "category": "firmographic",
        "active": "on",
        "field": "employee_count",
        "operator": "gte",
        "value": "500",
        "points": "30",
        "tier": "",
        "max_occurrences": "",
        "window_days": "",
    }
    return {**form, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"field": "shoe_size"}, "Unknown field"),
        ({"field": "score"}, "Unknown field"),
        ({"field": "title", "operator": "gt"}, "compares numbers"),
        ({"field": "employee_count", "operator": "contains"}, "compares text"),
        ({"value": "lots"}, "is not a number"),
        ({"operator": "between", "value": "500"}, "two numbers"),
        ({"operator": "between", "value": "900,500"}, "must not exceed"),
        ({"operator": "is_set", "value": "500"}, "takes no value"),
        ({"field": "custom_fields.bad key", "operator": "equals"}, "custom_fields.&lt;key&gt;"),
        ({"category": "behavioral", "field": "employee_count"}, "use field"),
        (
            {
                "category": "behavioral",
                "field": "activity_type",
                "operator": "equals",
                "value": "party",
            },
            "Unknown activity type",
        ),
        ({"window_days": "7"}, "Only behavioral rules"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_with_a_clear_error(admin_client, changes, message):
    response = admin_client.post("/admin/scoring/scoringrule/add/", rule_form(**changes))

    assert response.status_code == 200  # the form again
    assert message in response.content.decode()
    assert not ScoringRule.objects.filter(name="Big teams").exists()


def test_saving_a_rule_in_admin_rescores_every_lead(
    admin_client, django_capture_on_commit_callbacks
):
    big = LeadFactory(employee_count=800, company="", industry="", title="")
    small = LeadFactory(employee_count=20, company="", industry="", title="")
    leads_rescore()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/scoring/scoringrule/add/", rule_form())

    assert response.status_code == 302
    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.score, small.score) == (10 + 30, 5)


def test_switching_a_rule_off_or_deleting_it_rescores(
    admin_client, django_capture_on_commit_callbacks
):
    lead = LeadFactory(title="VP Sales", company="", industry="")
    leads_rescore()
    rule = ScoringRule.objects.get(name="Title: VP")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/scoring/scoringrule/{rule.pk}/delete/", {"post": "yes"})

    lead.refresh_from_db()
    assert lead.score == 0


def test_raising_the_threshold_qualifies_nobody_new_and_lowering_it_does(
    admin_client, django_capture_on_commit_callbacks
):
    lead = LeadFactory(title="C-level", company="", industry="")
    leads_rescore()
    assert not Lead.objects.get(pk=lead.pk).qualified

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/scoring/scoringsettings/1/change/", {"qualify_threshold": "20"}
        )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.qualified and lead.lead_status == LeadStatus.QUALIFIED
    assert ScoringSettings.load().qualify_threshold == 20


def test_rescore_command_prints_a_summary():
    LeadFactory(title="VP", company="", industry="")
    LeadFactory(
        title="C-level VP Director",
        email="a@b.gov",
        employee_count=5000,
        industry="Finance",
        annual_revenue=20_000_000,
    )
    out = StringIO()

    call_command("rescore_leads", stdout=out)

    assert out.getvalue().splitlines()[:3] == [
        "Leads scanned: 2",
        "Scores changed: 2",
        "Newly qualified: 1",
    ]
    assert "Seconds:" in out.getvalue()

    out = StringIO()
    call_command("rescore_leads", stdout=out)
    assert "Scores changed: 0" in out.getvalue()


def test_rescore_since_only_touches_recent_leads():
    from datetime import timedelta

    from django.utils import timezone

    old = LeadFactory(title="VP", company="", industry="")
    recent = LeadFactory(title="VP", company="", industry="")
    Lead.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    out = StringIO()

    call_command(
        "rescore_leads",
        "--since",
        (timezone.now() - timedelta(days=1)).date().isoformat(),
        stdout=out,
    )

    assert "Leads scanned: 1" in out.getvalue()
    assert Lead.objects.get(pk=recent.pk).score == 15
    assert Lead.objects.get(pk=old.pk).score == 0


def test_rescore_since_refuses_a_bad_date():
    with pytest.raises(CommandError, match="ISO date"):
        call_command("rescore_leads", "--since", "last tuesday")


def test_rescore_refuses_fewer_than_one_worker():
    with pytest.raises(CommandError, match="--workers"):
        call_command("rescore_leads", "--workers", "0")


def test_nightly_rescore_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="scoring.leads_rescore")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")
