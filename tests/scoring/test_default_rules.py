"""The default rule set (shipped by migration) scores leads as the sales team expects."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, LeadActivity, LeadStatus
from scoring.models import GradeBand, ScoringRule, ScoringSettings
from scoring.services import lead_score
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def score_of(**fields) -> Lead:
    lead = LeadFactory(**{"company": "", "industry": "", "title": "", **fields})
    lead_score(lead_id=lead.pk)
    lead.refresh_from_db()
    return lead


def test_defaults_exist_after_migrate():
    assert ScoringRule.objects.filter(active=True).count() == 16
    assert list(GradeBand.objects.values_list("grade", "min_score")) == [
        ("A+", 90),
        ("A", 80),
        ("B", 70),
        ("C", 60),
        ("D", 50),
        ("F", 0),
    ]
    assert ScoringSettings.load().qualify_threshold == 80


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "Director of Sales"}, 10),
        ({"title": "director of sales"}, 10),  # text ignores case
        ({"title": "VP Engineering"}, 15),
        ({"title": "C-level executive"}, 20),
        ({"title": "VP and Director"}, 25),  # title rules add up
        ({"email": "prof@uni.edu"}, 5),
        ({"email": "clerk@city.gov"}, 10),
        ({"employee_count": 5000}, 15),  # tiers: only the highest band counts, not 30
        ({"employee_count": 1000}, 10),
        ({"employee_count": 101}, 10),
        ({"employee_count": 11}, 5),
        ({"employee_count": 10}, 0),
        ({"annual_revenue": Decimal("25000000")}, 15),
        ({"annual_revenue": Decimal("10000000")}, 10),
        ({"annual_revenue": Decimal("1000000")}, 0),
        ({"industry": "Technology"}, 10),
        ({"industry": "healthcare"}, 10),
        ({"industry": "Retail"}, 0),
    ],
)
def test_demographic_and_firmographic_points(fields, expected):
    assert score_of(**fields).score == expected


def test_behavioral_points_per_activity():
    lead = LeadFactory(company="", industry="", title="")
    for kind, times in [("email_opened", 3), ("email_clicked", 2), ("page_viewed", 4), ("note", 5)]:
        LeadActivity.objects.bulk_create(LeadActivity(lead=lead, type=kind) for _ in range(times))

    lead_score(lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.score == 3 * 2 + 2 * 5 + 4 * 1


def test_score_is_clamped_and_graded_and_qualifies():
    lead = LeadFactory(
        title="C-level VP Director",
        email="x@city.gov",
        employee_count=5000,
        annual_revenue=Decimal("50000000"),
        industry="Finance",
    )
    LeadActivity.objects.bulk_create(
        LeadActivity(lead=lead, type="demo_requested") for _ in range(3)
    )

    result = lead_score(lead_id=lead.pk)

    lead.refresh_from_db()
    assert result.raw == 20 + 15 + 10 + 10 + 15 + 15 + 10 + 60
    assert (lead.score, lead.grade) == (100, "A+")
    assert lead.qualified and lead.qualified_at is not None
    assert lead.lead_status == LeadStatus.QUALIFIED


@pytest.mark.parametrize(
    ("score_fields", "grade"),
    [
        (
            {
                "title": "C-level VP Director",
                "industry": "Finance",
                "employee_count": 5000,
                "annual_revenue": Decimal("2000000"),
            },
            "A",
        ),
        (
            {
                "title": "C-level VP",
                "employee_count": 5000,
                "industry": "Finance",
                "email": "x@y.gov",
            },
            "B",
        ),
        ({"title": "C-level VP", "employee_count": 5000}, "D"),
        ({"title": "VP"}, "F"),
    ],
)
def test_grades_follow_the_bands(score_fields, grade):
    assert score_of(**score_fields).grade == grade


def test_scoring_never_unqualifies_and_leaves_rejected_and_converted_leads_alone():
    qualified = LeadFactory(title="VP", qualified=True, lead_status=LeadStatus.QUALIFIED)
    rejected = LeadFactory(
        title="C-level VP Director",
        email="a@b.gov",
        employee_count=5000,
        annual_revenue=Decimal("50000000"),
        industry="Finance",
        lead_status=LeadStatus.UNQUALIFIED,
    )
    converted = LeadFactory(
        title="C-level VP Director",
        email="c@d.gov",
        employee_count=5000,
        annual_revenue=Decimal("50000000"),
        industry="Finance",
        lead_status=LeadStatus.CONVERTED,
        converted=True,
    )

    for lead in (qualified, rejected, converted):
        lead_score(lead_id=lead.pk)
        lead.refresh_from_db()

    assert qualified.qualified and qualified.lead_status == LeadStatus.QUALIFIED
    assert rejected.score >= 80 and not rejected.qualified
    assert rejected.lead_status == LeadStatus.UNQUALIFIED
    assert converted.lead_status == LeadStatus.CONVERTED and not converted.qualified


def test_threshold_is_configurable():
    ScoringSettings.objects.filter(pk=1).update(qualify_threshold=20)

    lead = score_of(title="C-level executive")

    assert lead.qualified and lead.lead_status == LeadStatus.QUALIFIED


def test_window_and_occurrence_cap_limit_behavioral_points():
    ScoringRule.objects.filter(name="Email opened").update(window_days=30, max_occurrences=2)
    lead = LeadFactory(company="", industry="", title="")
    now = timezone.now()
    LeadActivity.objects.bulk_create(
        [
            LeadActivity(lead=lead, type="email_opened", created_at=now - timedelta(days=d))
            for d in (1, 2, 3, 45, 60)
        ]
    )

    result = lead_score(lead_id=lead.pk)

    lead.refresh_from_db()
    assert lead.score == 2 * 2  # three recent opens, capped at two; two old ones decayed
    assert [(line.name, line.count, line.points) for line in result.lines] == [
        ("Email opened", 2, 4)
    ]


def test_capture_scores_the_new_lead(capture_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = capture_client.post(
            "/api/v1/capture/",
            {
                "email": "vp@acme.com",
                "title": "VP Sales",
                "employee_count": 5000,
                "channel": "form",
            },
            format="json",
        )

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.score == 15 + 15 + 10  # VP, over 1,000 staff, the form submission
    assert lead.grade == "F"


def test_a_rule_saved_broken_behind_the_admins_back_never_crashes_scoring():
    # The database refuses unknown fields and operators; these pass it but make no sense.
    ScoringRule.objects.create(name="Broken", field="title", operator="gt", value="x", points=50)
    ScoringRule.objects.create(
        name="Broken too", field="employee_count", operator="contains", value="1", points=50
    )

    lead = score_of(title="VP")

    assert lead.score == 15


def test_scoring_one_lead_runs_the_same_few_queries_whatever_its_history(
    django_assert_max_num_queries,
):
    # Qualified already, so that only the history differs (qualifying costs two INSERTs more).
    short = LeadFactory(qualified=True)
    LeadActivity.objects.bulk_create(
        LeadActivity(lead=short, type="email_opened") for _ in range(2)
    )
    long = LeadFactory(qualified=True)
    LeadActivity.objects.bulk_create(
        LeadActivity(lead=long, type="email_opened") for _ in range(500)
    )

    # Rules, grade bands, settings, the lead under lock, its activities, the update, and the
    # outbox row of the routing that follows: a fixed handful, whatever the history.
    with django_assert_max_num_queries(9) as few:
        lead_score(lead_id=short.pk)
    with django_assert_max_num_queries(9) as many:
        lead_score(lead_id=long.pk)

    assert len(few) == len(many)
