"""Leads not ready for sales are nurtured until they are, and never emailed after opting out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from assignment.models import NurtureEnrollment, NurtureSequence, NurtureStepRun
from assignment.nurture.emails import nurture_email_send
from assignment.nurture.steps import nurture_advance, nurture_run_due
from assignment.services import lead_route
from leads.models import Lead, Task
from leads.selectors import lead_with_nurture
from leads.services import Bant, lead_assign, lead_event_record, lead_qualify
from tests.factories import LeadFactory, ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def cold_lead(**fields) -> Lead:
    return LeadFactory(**{"score": 20, "first_name": "Jane", "company": "Acme", **fields})


def enrol(lead, run_on_commit, now=None):
    run_on_commit(lambda: lead_route(lead_id=lead.pk, now=now))
    lead.refresh_from_db()
    return NurtureEnrollment.objects.get(lead=lead)


def test_a_cold_unassigned_lead_is_enrolled_once_and_welcomed_at_once(run_on_commit):
    UserFactory()  # a rep exists, but the lead is not ready for sales
    lead = cold_lead()

    enrollment = enrol(lead, run_on_commit)
    run_on_commit(lambda: lead_route(lead_id=lead.pk))

    assert lead.assigned_to is None
    assert lead_with_nurture(lead).nurture_sequence == "Not ready yet"
    assert NurtureEnrollment.objects.filter(lead=lead).count() == 1
    assert [m.to for m in mail.outbox] == [[lead.email]]
    welcome = mail.outbox[0]
    assert welcome.subject == "Thanks for your interest, Jane"
    assert "teams like Acme" in welcome.body
    enrollment.refresh_from_db()
    assert enrollment.next_position == 2
    assert abs((enrollment.next_step_at - timezone.now()) - 72 * HOUR) < HOUR
    assert lead.activities.filter(type="nurture_step").count() == 1


def test_the_lead_api_shows_the_nurture_state(run_on_commit, manager_client):
    lead = cold_lead()
    enrol(lead, run_on_commit)

    body = manager_client.get(f"/api/v1/leads/{lead.pk}/").json()

    assert body["nurture_sequence"] == "Not ready yet"
    assert body["nurture_next_step_at"] is not None
    assert body["do_not_email"] is False


def test_later_steps_run_when_due_and_each_only_once(run_on_commit):
    manager = ManagerFactory()
    lead = cold_lead()
    start = timezone.now()
    enrollment = enrol(lead, run_on_commit, now=start)
    mail.outbox.clear()

    assert run_on_commit(lambda: nurture_run_due(now=start + 71 * HOUR)) == 0
    assert run_on_commit(lambda: nurture_run_due(now=start + 73 * HOUR)) == 1
    assert run_on_commit(lambda: nurture_run_due(now=start + 73 * HOUR)) == 0  # not due again
    assert [m.subject for m in mail.outbox] == [
        "Three things our customers wish they had done sooner"
    ]

    run_on_commit(lambda: nurture_run_due(now=start + 73 * HOUR + 168 * HOUR))
    run_on_commit(lambda: nurture_run_due(now=start + 73 * HOUR + 168 * HOUR + 25 * HOUR))

    assert [m.subject for m in mail.outbox][-1] == "Shall we talk?"
    task = Task.objects.get(lead=lead)
    assert (task.title, task.owner) == ("Review this nurtured lead", manager)
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "completed"
    assert lead_with_nurture(lead).nurture_sequence is None
    assert NurtureStepRun.objects.filter(enrollment=enrollment).count() == 4


def test_a_step_run_twice_at_once_happens_once(run_on_commit):
    lead = cold_lead()
    start = timezone.now()
    enrollment = enrol(lead, run_on_commit, now=start)
    due = start + 100 * HOUR

    results = [
        run_on_commit(lambda: nurture_advance(enrollment_id=enrollment.pk, now=due))
        for _ in range(2)
    ]

    assert results == [True, False]
    assert NurtureStepRun.objects.filter(enrollment=enrollment).count() == 2  # welcome + step 2


def test_an_email_task_run_again_sends_nothing_more(run_on_commit):
    lead = cold_lead()
    enrol(lead, run_on_commit)
    run = NurtureStepRun.objects.get()

    assert nurture_email_send(run_id=run.pk) is False
    assert len(mail.outbox) == 1


def test_every_nurture_email_carries_a_one_click_unsubscribe(run_on_commit, client):
    lead = cold_lead()
    enrol(lead, run_on_commit)
    message = mail.outbox[0]
    link = message.extra_headers["List-Unsubscribe"].strip("<>")

    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("http://127.0.0.1:8000/unsubscribe/") and link in message.body

    # Opening the link asks; the button on that page unsubscribes.
    assert b"<button" in Client().get(link.removeprefix("http://127.0.0.1:8000")).content
    response = Client().post(link.removeprefix("http://127.0.0.1:8000"))

    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    lead.refresh_from_db()
    assert lead.do_not_email and lead_with_nurture(lead).nurture_sequence is None
    # Every later step respects it: the sequence ends instead of emailing.
    mail.outbox.clear()
    run_on_commit(lambda: nurture_run_due(now=timezone.now() + 1000 * HOUR))
    assert mail.outbox == []
    assert NurtureEnrollment.objects.get(lead=lead).exit_reason == "unsubscribed"


def test_one_click_post_unsubscribes_and_forged_tokens_do_not(run_on_commit):
    lead = cold_lead()
    enrol(lead, run_on_commit)
    link = (
        mail.outbox[0]
        .extra_headers["List-Unsubscribe"]
        .strip("<>")
        .removeprefix("http://127.0.0.1:8000")
    )
    browserless = Client(enforce_csrf_checks=True)

    assert browserless.get("/unsubscribe/not-a-token/").status_code == 404
    assert browserless.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    lead.refresh_from_db()
    assert lead.do_not_email


@pytest.mark.parametrize("leave", ["assign", "qualify"])
def test_a_lead_leaves_nurture_when_sales_takes_it(run_on_commit, leave, manager):
    rep = UserFactory()
    lead = cold_lead()
    enrollment = enrol(lead, run_on_commit)
    if leave == "assign":
        lead_assign(lead=lead, to=rep)
    else:
        from leads.services import Bant, lead_qualify

        lead_qualify(lead=lead, bant=Bant(True, True, True, True), by=manager)
    mail.outbox.clear()

    run_on_commit(lambda: nurture_run_due(now=timezone.now() + 100 * HOUR))

    enrollment.refresh_from_db()
    assert enrollment.exit_reason == ("assigned" if leave == "assign" else "qualified")
    assert mail.outbox == []


def test_engagement_lifts_a_nurtured_lead_to_sales(run_on_commit):
    rep = UserFactory(email="rep@crm.test")
    lead = cold_lead(
        title="VP Sales", employee_count=5000, industry="Finance", email="jane@bank.com"
    )
    run_on_commit(lambda: lead_event_record(email=lead.email, type="page_viewed"))
    lead.refresh_from_db()
    assert lead_with_nurture(lead).nurture_sequence is not None and lead.score < 70

    for _ in range(2):
        run_on_commit(lambda: lead_event_record(email=lead.email, type="demo_requested"))

    lead.refresh_from_db()
    assert lead.score >= 70
    assert lead.assigned_to == rep
    assert lead_with_nurture(lead).nurture_sequence is None
    run_on_commit(lambda: nurture_run_due(now=timezone.now() + 1000 * HOUR))
    assert NurtureEnrollment.objects.get(lead=lead).exit_reason in {"assigned", "qualified"}


def test_only_the_first_matching_active_sequence_enrolls(run_on_commit):
    NurtureSequence.objects.filter(name="Not ready yet").update(priority=50)
    webinar = NurtureSequence.objects.create(
        name="Webinar follow-up",
        priority=10,
        conditions=[{"field": "lead_source", "operator": "equals", "value": "webinar"}],
    )
    webinar.steps.create(
        position=1, delay_hours=24, action="task", task_title="Call about the webinar"
    )

    from_webinar = enrol(cold_lead(lead_source="webinar"), run_on_commit)
    from_site = enrol(cold_lead(lead_source="website_form"), run_on_commit)

    assert from_webinar.sequence == webinar
    assert from_site.sequence.name == "Not ready yet"


def test_a_step_already_recorded_is_not_done_again(run_on_commit):
    lead = cold_lead()
    start = timezone.now()
    enrollment = enrol(lead, run_on_commit, now=start)
    step2 = enrollment.sequence.steps.get(position=2)
    NurtureStepRun.objects.create(enrollment=enrollment, step=step2, ran_at=start)  # a crashed twin
    mail.outbox.clear()

    run_on_commit(lambda: nurture_advance(enrollment_id=enrollment.pk, now=start + 100 * HOUR))

    assert mail.outbox == []
    enrollment.refresh_from_db()
    assert enrollment.next_position == 3


def test_email_text_that_cannot_render_is_refused_and_never_blocks_others(run_on_commit):
    from django.core.exceptions import ValidationError

    from assignment.models import NurtureStep

    sequence = NurtureSequence.objects.get(name="Not ready yet")
    bad = NurtureStep(
        sequence=sequence,
        position=9,
        action="email",
        subject="{{ lead.first_name|nosuch }}",
        body="x",
    )
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(ValidationError):
        NurtureStep(
            sequence=sequence, position=9, action="email", subject="Hi", body="{% debug %}"
        ).full_clean()

    webinar = NurtureSequence.objects.create(
        name="Webinar",
        priority=1,
        conditions=[{"field": "lead_source", "operator": "equals", "value": "webinar"}],
    )
    webinar.steps.create(position=1, delay_hours=1, action="email", subject="Hi", body="Thanks")
    broken, fine = cold_lead(lead_source="webinar"), cold_lead()
    start = timezone.now()
    broken_enrollment = enrol(broken, run_on_commit, now=start)
    enrol(fine, run_on_commit, now=start)
    # Stored behind the form's back (an older release, a raw import): it cannot render.
    webinar.steps.update(subject="{{ lead.first_name|nosuch }}")
    mail.outbox.clear()

    run_on_commit(lambda: nurture_run_due(now=start + 100 * HOUR))

    broken_enrollment.refresh_from_db()
    assert (
        broken_enrollment.exited_at is None and not broken_enrollment.runs.exists()
    )  # tried again later
    assert NurtureEnrollment.objects.get(lead=fine).next_position == 3  # the lead behind it went on
    assert [m.subject for m in mail.outbox] == [
        "Three things our customers wish they had done sooner"
    ]


def test_a_qualified_lead_is_never_enrolled_again(run_on_commit, manager):
    # A manager's BANT verdict on a cold lead nobody owns yet: sales has it, not nurturing.
    lead = cold_lead()
    lead_qualify(lead=lead, bant=Bant(True, True, True, True), by=manager)

    run_on_commit(lambda: lead_route(lead_id=lead.pk))

    assert lead_with_nurture(lead).nurture_sequence is None
    assert not NurtureEnrollment.objects.filter(lead=lead).exists()


def test_an_unsubscribed_lead_is_never_enrolled(run_on_commit):
    lead = cold_lead(do_not_email=True)

    run_on_commit(lambda: lead_route(lead_id=lead.pk))

    assert not NurtureEnrollment.objects.filter(lead=lead).exists()


def test_a_nurtured_lead_reaching_sales_gets_its_follow_ups(run_on_commit):
    manager = ManagerFactory()
    rep = UserFactory()
    lead = cold_lead()
    start = timezone.now()
    enrol(lead, run_on_commit, now=start)
    for hours in (73, 73 + 168, 73 + 168 + 25):
        run_on_commit(lambda h=hours: nurture_run_due(now=start + h * HOUR))
    assert Task.objects.get(lead=lead).owner == manager

    lead_assign(lead=lead, to=rep)

    owners = sorted((t.title, t.owner.username) for t in Task.objects.filter(lead=lead))
    assert owners == sorted(
        [
            ("Review this nurtured lead", manager.username),
            ("First follow-up", rep.username),
            ("Second follow-up", rep.username),
        ]
    )


# Managers' email text: a short list of filters, and bounded output.


@pytest.mark.parametrize(
    "text",
    [
        '{{ lead.first_name|ljust:"200000000" }}',
        '{{ lead.first_name|rjust:"200000000" }}',
        '{{ lead.first_name|center:"200000000" }}',
        '{{ lead.company|stringformat:"200000000s" }}',
        '{{ lead.company|make_list|join:"xxxxxxxxxxxxxxxx" }}',
    ],
)
def test_email_text_using_a_filter_outside_the_short_list_is_refused_on_save(text, admin_client):
    from django.core.exceptions import ValidationError

    from assignment.models import NurtureStep

    sequence = NurtureSequence.objects.get(name="Not ready yet")
    for field in ("subject", "body"):
        step = NurtureStep(
            sequence=sequence, position=9, action="email", subject="Hi", body="Hello"
        )
        setattr(step, field, text)
        with pytest.raises(ValidationError) as refused:
            step.full_clean()
        message = str(refused.value.message_dict[field])
        assert "Filters allowed:" in message and "truncatechars" in message

    first = sequence.steps.order_by("position").first()
    response = admin_client.post(
        f"/admin/assignment/nurturestep/{first.pk}/change/",
        {
            "sequence": sequence.pk,
            "position": first.position,
            "delay_hours": first.delay_hours,
            "action": "email",
            "subject": text,
            "body": "Hello",
            "task_for": "manager",
        },
    )
    assert response.status_code == 200 and "Filters allowed:" in response.content.decode()
    first.refresh_from_db()
    assert first.subject != text


def test_email_text_may_use_the_everyday_filters():
    from assignment.models import NurtureStep

    sequence = NurtureSequence.objects.get(name="Not ready yet")
    NurtureStep(
        sequence=sequence,
        position=9,
        action="email",
        subject='Hi {{ lead.first_name|default:"there"|capfirst }}',
        body="{{ lead.company|upper }} {{ lead.title|lower|truncatewords:3 }}"
        " {{ lead.industry|title|truncatechars:20 }}",
    ).full_clean()


def test_a_rendered_subject_is_cut_at_200_characters_and_a_body_at_100_kb(run_on_commit):
    webinar = NurtureSequence.objects.create(
        name="Webinar",
        priority=1,
        conditions=[{"field": "lead_source", "operator": "equals", "value": "webinar"}],
    )
    webinar.steps.create(
        position=1,
        delay_hours=0,
        action="email",
        subject="{{ lead.company }} " * 12,
        body="{{ lead.company }}" * 2000,
    )
    lead = cold_lead(lead_source="webinar", company="C" * 200)
    mail.outbox.clear()

    enrol(lead, run_on_commit)

    [message] = mail.outbox
    assert len(message.subject) == 200
    manager_text, footer = message.body.split("\n\n--\n")
    assert len(manager_text.encode()) == 100 * 1024
    assert footer.startswith("No more emails from us: http://")
    step_note = lead.activities.get(type="nurture_step").description
    assert len(step_note) < 300


# Leaving nurture: one way out, recorded as soon as the cause commits, once.


def _convert(lead, rep, manager):
    from conversion.services import lead_convert

    lead_convert(lead=lead, by=manager, force=True)


def _qualify_by_score(lead, rep, manager):
    from scoring.models import ScoringSettings
    from scoring.services import lead_score

    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": 15})
    Lead.objects.filter(pk=lead.pk).update(title="VP Sales", company="", industry="")
    lead_score(lead_id=lead.pk)


def _unsubscribe(lead, rep, manager):
    from leads.services import lead_unsubscribe

    lead_unsubscribe(lead=lead, how="link")


CAUSES = [
    pytest.param(
        lambda lead, rep, manager: lead_assign(lead=lead, to=rep), "assigned", id="assign"
    ),
    pytest.param(
        lambda lead, rep, manager: lead_qualify(
            lead=lead, bant=Bant(True, True, True, True), by=manager
        ),
        "qualified",
        id="bant-qualify",
    ),
    pytest.param(
        lambda lead, rep, manager: lead_qualify(
            lead=lead, bant=Bant(False, True, True, True), by=manager
        ),
        "disqualified",
        id="bant-disqualify",
    ),
    pytest.param(_qualify_by_score, "qualified", id="score"),
    pytest.param(_unsubscribe, "unsubscribed", id="unsubscribe"),
    pytest.param(_convert, "converted", id="convert"),
]


@pytest.mark.parametrize(("cause", "reason"), CAUSES)
def test_leaving_nurture_is_recorded_once_when_its_cause_commits(
    run_on_commit, cause, reason, manager
):
    rep = UserFactory()
    lead = cold_lead()
    enrollment = enrol(lead, run_on_commit)
    mail.outbox.clear()

    run_on_commit(lambda: cause(lead, rep, manager))

    enrollment.refresh_from_db()
    assert enrollment.exited_at is not None and enrollment.exit_reason == reason
    assert enrollment.next_step_at is None
    exits = lead.activities.filter(type="nurture_exited")
    assert [a.description for a in exits] == [f"Nurture Not ready yet ended: {reason}"]
    # The runner finds nothing left to close, and sends nothing more.
    run_on_commit(lambda: nurture_run_due(now=timezone.now() + 1000 * HOUR))
    assert lead.activities.filter(type="nurture_exited").count() == 1
    assert not [m for m in mail.outbox if m.to == [lead.email]]


def test_a_lost_leave_message_is_made_good_by_the_due_runner(run_on_commit):
    rep = UserFactory()
    lead = cold_lead()
    enrollment = enrol(lead, run_on_commit)
    lead_assign(lead=lead, to=rep)  # committed, but its message never ran

    run_on_commit(lambda: nurture_run_due(now=timezone.now()))  # nothing is due yet

    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "assigned"
    assert lead.activities.filter(type="nurture_exited").count() == 1


def test_a_rescore_that_qualifies_many_nurtured_leads_sends_one_leave_message(rep):
    from crm.models import OutboxMessage
    from scoring.models import ScoringSettings
    from scoring.services import leads_rescore
    from tests.factories import nurture_enrol

    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": 15})
    hot = [nurture_enrol(LeadFactory(title="VP Sales", company="", industry="")) for _ in range(3)]
    LeadFactory(title="VP Sales", company="", industry="")  # qualified, never nurtured

    leads_rescore(chunk_size=100)

    [message] = OutboxMessage.objects.filter(task="assignment.nurture_leave")
    assert sorted(message.args[0]) == sorted(str(lead.pk) for lead in hot)


def test_the_api_shows_no_nurture_right_after_assignment(run_on_commit, manager_client):
    rep = UserFactory()
    lead = cold_lead()
    enrollment = enrol(lead, run_on_commit)

    # The exit is not recorded yet (its message waits for the commit)...
    body = manager_client.post(
        f"/api/v1/leads/{lead.pk}/assign/", {"user": rep.pk}, format="json"
    ).json()
    enrollment.refresh_from_db()
    assert enrollment.exited_at is None

    # ...yet the lead no longer shows a sequence, in the answer or when read again.
    assert (body["nurture_sequence"], body["nurture_next_step_at"]) == (None, None)
    again = manager_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert (again["nurture_sequence"], again["nurture_next_step_at"]) == (None, None)
    listed = manager_client.get("/api/v1/leads/").json()["results"]
    assert [(r["nurture_sequence"], r["nurture_next_step_at"]) for r in listed] == [(None, None)]


def test_a_lead_has_at_most_one_open_enrollment():
    from django.db import IntegrityError, transaction

    lead = cold_lead()
    first = NurtureSequence.objects.get(name="Not ready yet")
    second = NurtureSequence.objects.create(name="Webinar follow-up")
    now = timezone.now()
    NurtureEnrollment.objects.create(lead=lead, sequence=first, enrolled_at=now)

    with pytest.raises(IntegrityError), transaction.atomic():
        NurtureEnrollment.objects.create(lead=lead, sequence=second, enrolled_at=now)

    NurtureEnrollment.objects.filter(lead=lead).update(exited_at=now, exit_reason="completed")
    NurtureEnrollment.objects.create(lead=lead, sequence=second, enrolled_at=now)  # closed: fine
