"""Who changed which scoring or assignment rule, and when: recorded on every change made in
admin and shown on each rule's History page."""

import html
import json
import re

import pytest
from django.test import Client

from assignment.models import AssignmentRule, NurtureSequence, NurtureStep, RoutingSettings, Team
from scoring.models import GradeBand, ScoringRule, ScoringSettings
from scoring.services import leads_rescore
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(text.split())


def rule_form(rule: ScoringRule, **changes) -> dict:
    form = {
        "name": rule.name,
        "category": rule.category,
        "active": "on" if rule.active else "",
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "points": str(rule.points),
        "tier": rule.tier,
        "max_occurrences": "",
        "window_days": "",
    }
    return {**form, **changes}


def test_a_managers_rule_edit_is_recorded_with_who_when_and_what(
    admin_client, maria, django_capture_on_commit_callbacks
):
    rule = ScoringRule.objects.get(name="Title: VP")
    lead = LeadFactory(title="VP Sales", company="", industry="")
    leads_rescore()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/scoring/scoringrule/{rule.pk}/change/", rule_form(rule, points="40")
        )

    assert response.status_code == 302
    change = rule.history.latest()
    assert change.history_user == maria
    assert change.history_type == "~"
    delta = change.diff_against(change.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("points", 15, 40)]
    # Recording history leaves the rescore on every rule change in place.
    lead.refresh_from_db()
    assert lead.score == 40


def test_the_rules_history_page_lists_the_change(admin_client, maria):
    rule = ScoringRule.objects.get(name="Title: VP")
    admin_client.post(f"/admin/scoring/scoringrule/{rule.pk}/change/", rule_form(rule, points="40"))

    page = admin_client.get(f"/admin/scoring/scoringrule/{rule.pk}/history/")

    assert page.status_code == 200
    text = page_text(page)
    assert "Changed maria None Points: 15 → 40" in text


def test_a_deleted_rule_leaves_its_history_and_who_deleted_it(admin_client, maria):
    rule = ScoringRule.objects.get(name="Title: VP")

    admin_client.post(f"/admin/scoring/scoringrule/{rule.pk}/delete/", {"post": "yes"})

    assert not ScoringRule.objects.filter(pk=rule.pk).exists()
    last = ScoringRule.history.filter(id=rule.pk).latest()
    assert (last.history_type, last.history_user) == ("-", maria)


def test_grade_bands_and_thresholds_record_who_changed_them(admin_client, maria):
    band = GradeBand.objects.get(grade="B")
    RoutingSettings.load()
    admin_client.post(
        "/admin/scoring/gradeband/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": band.pk,
            "form-0-min_score": "65",
            "_save": "Save",
        },
    )
    admin_client.post("/admin/scoring/scoringsettings/1/change/", {"qualify_threshold": "75"})
    admin_client.post(
        "/admin/assignment/routingsettings/1/change/",
        {"sales_ready_threshold": "60", "response_sla_hours": "8"},
    )

    assert band.history.latest().history_user == maria
    assert band.history.latest().min_score == 65
    assert ScoringSettings.load().history.latest().history_user == maria
    routing = RoutingSettings.load().history.latest()
    assert (routing.history_user, routing.sales_ready_threshold) == (maria, 60)


def test_assignment_rules_and_teams_record_who_changed_them(admin_client, maria):
    ann = UserFactory(username="ann")
    team = Team.objects.create(name="Enterprise")
    rule = AssignmentRule.objects.create(name="Big", priority=5, assignee=ann)

    admin_client.post(
        f"/admin/assignment/assignmentrule/{rule.pk}/change/",
        {
            "name": "Big",
            "priority": "1",
            "conditions": json.dumps(
                [{"field": "employee_count", "operator": "gt", "value": "1000"}]
            ),
            "assignee": ann.pk,
            "active": "on",
        },
    )
    admin_client.post(
        f"/admin/assignment/team/{team.pk}/change/",
        {"name": "Enterprise", "members": [ann.pk], "active": "on"},
    )

    change = rule.history.latest()
    assert change.history_user == maria
    assert change.priority == 1 and change.conditions[0]["field"] == "employee_count"
    membership = team.history.latest()
    assert membership.history_user == maria
    assert [m.user_id for m in membership.members.all()] == [ann.pk]
    page = admin_client.get(f"/admin/assignment/assignmentrule/{rule.pk}/history/")
    assert page.status_code == 200 and "maria" in page.content.decode()


def test_nurture_steps_edited_on_their_sequence_record_who_changed_them(admin_client, maria):
    sequence = NurtureSequence.objects.get(name="Not ready yet")
    steps = list(sequence.steps.order_by("position"))
    form = {
        "name": sequence.name,
        "active": "on",
        "priority": str(sequence.priority),
        "conditions": json.dumps(sequence.conditions),
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, step in enumerate(steps):
        prefix = f"steps-{index}-"
        form |= {
            prefix + "id": step.pk,
            prefix + "sequence": sequence.pk,
            prefix + "position": step.position,
            prefix + "delay_hours": 48 if index == 1 else step.delay_hours,
            prefix + "action": step.action,
            prefix + "subject": step.subject,
            prefix + "body": step.body,
            prefix + "task_title": step.task_title,
            prefix + "task_for": step.task_for,
            prefix + "status": step.status,
        }

    response = admin_client.post(f"/admin/assignment/nurturesequence/{sequence.pk}/change/", form)

    assert response.status_code == 302
    edited = NurtureStep.objects.get(pk=steps[1].pk)
    assert edited.delay_hours == 48
    assert edited.history.latest().history_user == maria
    page = admin_client.get(f"/admin/assignment/nurturestep/{edited.pk}/history/")
    assert page.status_code == 200
    assert "Changed maria None Delay hours: 72 → 48" in page_text(page)


def test_a_rep_sees_no_rule_history(maria):
    rule = ScoringRule.objects.get(name="Title: VP")
    client = Client()
    client.force_login(UserFactory(username="riley"))

    response = client.get(f"/admin/scoring/scoringrule/{rule.pk}/history/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
