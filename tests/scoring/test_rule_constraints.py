"""Rules speak only the condition language: admin explains what is wrong, and the database
refuses a rule written any other way (a script, the shell, a migration) as a backstop."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from assignment.models import MAX_CONDITIONS, AssignmentRule, NurtureSequence
from scoring.models import ScoringRule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def scoring_rule(**fields) -> ScoringRule:
    values = {"name": "R", "field": "title", "operator": "contains", "value": "VP", "points": 5}
    return ScoringRule.objects.create(**{**values, **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {"field": "shoe_size"},
        {"field": "score", "operator": "gt", "value": "10"},  # a score cannot read itself
        {"field": "grade", "operator": "equals", "value": "A"},
        {"field": "Title"},
        {"field": "custom_fields"},
        {"field": ""},
        {"operator": "regex", "value": "(a+)+$"},
        {"operator": "like"},
        {"operator": ""},
    ],
)
def test_the_database_refuses_a_scoring_rule_outside_the_language(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        scoring_rule(**fields)

    assert not ScoringRule.objects.filter(name="R").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"field": "custom_fields.plan", "operator": "equals", "value": "pro"},
        {"field": "employee_count", "operator": "between", "value": "10,100"},
        {"category": "behavioral", "field": "activity_type", "operator": "equals"},
    ],
)
def test_the_database_takes_every_rule_the_language_allows(fields):
    scoring_rule(**fields)

    assert ScoringRule.objects.filter(name="R").exists()


def test_an_edit_that_breaks_a_rule_is_refused_too():
    rule = scoring_rule()
    rule.operator = "matches"

    with pytest.raises(IntegrityError), transaction.atomic():
        rule.save(update_fields=["operator"])

    assert ScoringRule.objects.get(pk=rule.pk).operator == "contains"


def condition(**item) -> dict:
    return {"field": "industry", "operator": "equals", "value": "Finance", **item}


BAD_CONDITION_LISTS = [
    [condition(field="shoe_size")],
    [condition(), condition(operator="regex", value=".*")],
    [condition(field="custom_fieldsx")],
    [condition(field=None)],
    [condition(field=7)],
    [{"operator": "equals", "value": "x"}],  # no field
    [{"field": "industry", "value": "x"}],  # no operator
    [condition() for _ in range(MAX_CONDITIONS + 1)],
]


@pytest.mark.parametrize("conditions", BAD_CONDITION_LISTS)
def test_the_database_refuses_an_assignment_rule_outside_the_language(conditions):
    rep = UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentRule.objects.create(name="Bad", conditions=conditions, assignee=rep)

    assert not AssignmentRule.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("conditions", BAD_CONDITION_LISTS[:2])
def test_the_database_refuses_a_nurture_sequence_outside_the_language(conditions):
    with pytest.raises(IntegrityError), transaction.atomic():
        NurtureSequence.objects.create(name="Bad", conditions=conditions)


@pytest.mark.parametrize(
    "conditions",
    [
        [],
        [condition(field="custom_fields.plan", operator="is_set", value="")],
        [condition(field="score", operator="lt", value="70")],
        [condition() for _ in range(MAX_CONDITIONS)],
    ],
)
def test_the_database_takes_assignment_rules_the_language_allows(conditions):
    AssignmentRule.objects.create(name="Good", conditions=conditions, assignee=UserFactory())
    NurtureSequence.objects.create(name="Good", conditions=conditions)


def test_the_default_rules_and_sequence_pass_the_checks():
    # They were inserted by data migrations before the checks existed; adding the checks
    # validated every row, and saving each again must still be allowed.
    assert ScoringRule.objects.count() == 16
    for rule in ScoringRule.objects.all():
        rule.save()
    for sequence in NurtureSequence.objects.all():
        sequence.save()


def test_admin_refuses_an_operator_outside_the_language(admin_client):
    response = admin_client.post(
        "/admin/scoring/scoringrule/add/",
        {
            "name": "Sneaky",
            "category": "demographic",
            "active": "on",
            "field": "title",
            "operator": "regex",
            "value": "(a+)+$",
            "points": "10",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice. regex is not one of the available choices." in (
        response.content.decode()
    )
    assert not ScoringRule.objects.filter(name="Sneaky").exists()


def test_admin_refuses_more_conditions_than_the_database_checks(admin_client):
    response = admin_client.post(
        "/admin/assignment/assignmentrule/add/",
        {
            "name": "Long",
            "priority": "1",
            "conditions": json.dumps([condition() for _ in range(MAX_CONDITIONS + 1)]),
            "assignee": UserFactory().pk,
            "active": "on",
        },
    )

    assert response.status_code == 200
    assert f"At most {MAX_CONDITIONS} conditions." in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_the_checks_are_stable_so_makemigrations_finds_nothing_to_do():
    out = StringIO()

    call_command("makemigrations", "scoring", "assignment", check=True, dry_run=True, stdout=out)

    assert "No changes detected" in out.getvalue()


# Numbers in rules: no more than the columns they are compared with hold.


@pytest.mark.parametrize("value", ["1e-20000", "0.00000000001", "1E-11", "5,1e-30"])
def test_a_rule_number_with_more_decimal_places_than_the_columns_hold_is_refused(value):
    from django.core.exceptions import ValidationError

    # A custom field compared with a list is text; a lead column is a number either way.
    operator, field = ("in", "annual_revenue") if "," in value else ("gt", "custom_fields.budget")
    rule = ScoringRule(name="Tiny budget", field=field, operator=operator, value=value, points=5)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "more than 10 decimal places" in str(refused.value.message_dict["value"])

    routing = AssignmentRule(
        name="Tiny",
        conditions=[{"field": "annual_revenue", "operator": operator, "value": value}],
        assignee=UserFactory(),
    )
    with pytest.raises(ValidationError) as refused:
        routing.full_clean()
    assert "more than 10 decimal places" in str(refused.value.message_dict["conditions"])


@pytest.mark.parametrize("value", ["0.0000000001", "1.50000000000000", "1e5", "-2.25", "0.000"])
def test_rule_numbers_the_columns_hold_are_taken(value):
    ScoringRule(
        name="Budget", field="custom_fields.budget", operator="gte", value=value, points=5
    ).full_clean()


def test_admin_explains_a_rule_number_the_columns_cannot_hold(admin_client):
    response = admin_client.post(
        "/admin/scoring/scoringrule/add/",
        {
            "name": "Tiny budget",
            "category": "firmographic",
            "active": "on",
            "field": "custom_fields.budget",
            "operator": "gt",
            "value": "1e-20000",
            "points": "10",
        },
    )

    assert response.status_code == 200
    assert "more than 10 decimal places" in response.content.decode()
    assert not ScoringRule.objects.filter(name="Tiny budget").exists()


def test_a_stored_rule_with_such_a_number_is_skipped_and_rescoring_goes_on():
    from scoring.services import lead_score, leads_rescore
    from tests.factories import LeadFactory

    # Stored behind admin's back (an older release, the shell): it must not stop scoring.
    scoring_rule(
        name="Tiny budget",
        category="firmographic",
        field="custom_fields.budget",
        operator="gt",
        value="1e-20000",
        points=50,
    )
    AssignmentRule.objects.create(
        name="Tiny",
        conditions=[{"field": "annual_revenue", "operator": "gt", "value": "1e-20000"}],
        assignee=UserFactory(),
    )
    lead = LeadFactory(custom_fields={"budget": 5000}, annual_revenue=10)

    summary = leads_rescore()
    lead_score(lead_id=lead.pk)

    assert summary.scanned >= 1
    lead.refresh_from_db()
    assert lead.score < 50
