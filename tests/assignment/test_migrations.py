"""Moving the nurture state off the lead closes what the old runner would have closed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assignment.models import NurtureEnrollment
from leads.models import LeadActivity

BEFORE = [("assignment", "0009_rule_history_baseline"), ("leads", "0018_open_tasks_follow_owner")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enrollments_the_lead_had_left_close_with_the_old_runners_reason(default_nurture_sequence):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Lead = old.get_model("leads", "Lead")
    Sequence = old.get_model("assignment", "NurtureSequence")
    Enrollment = old.get_model("assignment", "NurtureEnrollment")
    User = old.get_model("crm", "User")
    rep = User.objects.create(username="migration-rep", role="rep")
    first = Sequence.objects.get(name="Not ready yet")
    second = Sequence.objects.create(name="Webinar follow-up", conditions=[])
    now = timezone.now()

    def lead(email, sequence=None, **fields):
        return Lead.objects.create(email=email, nurture_sequence=sequence, **fields)

    def enrol(lead, sequence):
        return Enrollment.objects.create(
            lead=lead, sequence=sequence, enrolled_at=now, next_position=2, next_step_at=now
        ).pk

    current = enrol(lead("current@example.com", first), first)
    left = enrol(lead("left@example.com"), first)
    assigned = enrol(lead("assigned@example.com", assigned_to=rep), first)
    twice = lead("twice@example.com", second)
    stale, newer = enrol(twice, first), enrol(twice, second)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    open_ = set(
        NurtureEnrollment.objects.filter(exited_at__isnull=True).values_list("pk", flat=True)
    )
    assert open_ == {current, newer}
    reasons = dict(NurtureEnrollment.objects.values_list("pk", "exit_reason"))
    assert (reasons[left], reasons[assigned], reasons[stale]) == ("left", "assigned", "left")
    assert NurtureEnrollment.objects.get(pk=left).next_step_at is None
    exits = sorted(
        LeadActivity.objects.filter(type="nurture_exited").values_list("lead__email", "description")
    )
    assert exits == [
        ("assigned@example.com", "Nurture Not ready yet ended: assigned"),
        ("left@example.com", "Nurture Not ready yet ended: left"),
        ("twice@example.com", "Nurture Not ready yet ended: left"),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_back_gives_each_lead_its_open_enrollment_again(default_nurture_sequence):
    """Rolled back, the old code reads a lead's sequence from the lead again: without it the
    old runner would close every open enrollment as "left" and nurture nobody."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Lead = old.get_model("leads", "Lead")
    Sequence = old.get_model("assignment", "NurtureSequence")
    Enrollment = old.get_model("assignment", "NurtureEnrollment")
    first = Sequence.objects.get(name="Not ready yet")
    second = Sequence.objects.create(name="Webinar follow-up", conditions=[])
    due = timezone.now().replace(microsecond=0)
    nurtured = Lead.objects.create(email="nurtured@example.com", nurture_sequence=second)
    Enrollment.objects.create(
        lead=nurtured, sequence=first, enrolled_at=due, exited_at=due, exit_reason="completed"
    )
    Enrollment.objects.create(
        lead=nurtured, sequence=second, enrolled_at=due, next_position=2, next_step_at=due
    )
    done = Lead.objects.create(email="done@example.com")
    Enrollment.objects.create(
        lead=done, sequence=first, enrolled_at=due, exited_at=due, exit_reason="completed"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)

    old = executor.loader.project_state(BEFORE).apps
    rows = old.get_model("leads", "Lead").objects.values_list(
        "email", "nurture_sequence__name", "nurture_next_step_at"
    )
    assert sorted(rows) == [
        ("done@example.com", None, None),
        ("nurtured@example.com", "Webinar follow-up", due),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
