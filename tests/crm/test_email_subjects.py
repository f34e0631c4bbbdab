"""Email subjects are plain text: a name with an apostrophe or an ampersand reads as typed."""

import pytest
from django.core import mail

from assignment.models import NurtureEnrollment
from assignment.services import lead_route
from crm.models import Notification
from crm.notifications import notification_send
from leads.services import lead_assign
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "Pat O'Brien <pat>"


def test_the_assignment_email_names_the_lead_as_typed(django_capture_on_commit_callbacks):
    rep = UserFactory(email="ann@crm.test")
    lead = LeadFactory(first_name="Pat", last_name="O'Brien", company="AT&T")

    with django_capture_on_commit_callbacks(execute=True):
        lead_assign(lead=lead, to=rep)

    [message] = mail.outbox
    assert message.subject == "New lead assigned: Pat O'Brien (AT&T)"
    assert "Pat O'Brien, AT&T" in message.body
    # The HTML part is HTML, so there the name is escaped.
    html = message.alternatives[0][0]
    assert "Pat O&#x27;Brien" in html and "AT&amp;T" in html


@pytest.mark.parametrize(
    ("template", "context", "subject"),
    [
        (
            "leads/email/lead_assigned",
            {"lead_name": NAME, "company": "AT&T"},
            f"New lead assigned: {NAME} (AT&T)",
        ),
        ("assignment/email/no_rep_available", {"lead_name": NAME}, f"No rep available for {NAME}"),
        ("assignment/email/response_overdue", {"lead_name": NAME}, f"No response yet: {NAME}"),
        (
            "crm/email/task_failed",
            {"task": "leads.lead_route <'a' & 'b'>"},
            "A background task failed: leads.lead_route <'a' & 'b'>",
        ),
    ],
)
def test_every_notification_subject_is_plain_text(template, context, subject):
    notification = Notification.objects.create(
        key="k", recipient=UserFactory(email="ann@crm.test"), template=template, context=context
    )

    assert notification_send(notification_id=notification.pk)

    assert mail.outbox[0].subject == subject


def test_a_nurture_email_subject_is_plain_text(django_capture_on_commit_callbacks):
    UserFactory()
    lead = LeadFactory(score=20, first_name="D'Arcy & Co", company="AT&T")

    with django_capture_on_commit_callbacks(execute=True):
        lead_route(lead_id=lead.pk)

    assert NurtureEnrollment.objects.filter(lead=lead).exists()
    assert mail.outbox[0].subject == "Thanks for your interest, D'Arcy & Co"
