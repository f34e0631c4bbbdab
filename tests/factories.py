import factory
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
