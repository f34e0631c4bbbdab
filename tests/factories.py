from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from crm.models import Role, User
from leads.models import Lead, LeadActivity, Task


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"rep{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@crm.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.REP
    password = factory.django.Password("secret-pass-123")


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    role = Role.MANAGER


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company = factory.Faker("company")
    lead_source = "website_form"


class LeadActivityFactory(DjangoModelFactory):
    class Meta:
        model = LeadActivity

    lead = factory.SubFactory(LeadFactory)
    type = "note"
    description = "Called, left a voicemail."


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    lead = factory.SubFactory(LeadFactory)
    owner = factory.SelfAttribute("lead.assigned_to")
    title = "Follow up"
    due_at = factory.Faker("future_datetime", tzinfo=__import__("datetime").UTC)


SCRIPT_PAYLOAD = "<script>alert(1)</script>"


def hostile_lead(rep) -> Lead:
    """A lead of `rep`'s whose every visitor-supplied text is a script tag."""
    from leads.services import lead_activity_log, lead_assign, lead_capture

    payload = SCRIPT_PAYLOAD
    lead = lead_capture(
        email="hostile@example.com",
        channel="form",
        source=payload,
        values={"first_name": payload, "last_name": payload, "company": payload, "title": payload},
        custom_fields={"utm_campaign": payload},
        message=payload,
    ).lead
    lead_assign(lead=lead, to=rep)
    lead_activity_log(lead=lead, type="note", description=payload, by=rep)
    TaskFactory(lead=lead, owner=rep, title=f"Call {payload}")
    return lead


def nurture_enrol(lead: Lead, *, next_step_in: timedelta = timedelta(hours=72)) -> Lead:
    """Put the lead in the default nurture sequence as after its first step: the open
    enrollment is its current sequence."""
    from assignment.models import NurtureEnrollment, NurtureSequence

    now = timezone.now()
    NurtureEnrollment.objects.create(
        lead=lead,
        sequence=NurtureSequence.objects.get(name="Not ready yet"),
        enrolled_at=now,
        next_position=2,
        next_step_at=now + next_step_in,
    )
    return lead
