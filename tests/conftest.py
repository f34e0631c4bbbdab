import importlib

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from crm.models import Role
from crm.services import user_upsert
from leads.models import CaptureForm, CaptureKey

from .factories import ManagerFactory, UserFactory

# Fixtures for tests against real services: a Celery worker process and an SMTP server.
pytest_plugins = ["tests.celery_worker", "tests.smtp_server"]

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
requires_postgres = pytest.mark.skipif(
    not IS_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://..."
)


@pytest.fixture
def rep(db):
    return UserFactory(username="rep-ann")


@pytest.fixture
def other_rep(db):
    return UserFactory(username="rep-bob")


@pytest.fixture
def manager(db):
    return ManagerFactory(username="boss")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def rep_client(rep):
    client = APIClient()
    client.force_authenticate(rep)
    return client


@pytest.fixture
def manager_client(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def rep_page(rep):
    """The rep signed in to the pages."""
    client = Client()
    client.force_login(rep)
    return client


@pytest.fixture
def manager_page(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def maria(db):
    """A manager made as people are made (crm.services): staff, in the managers' group."""
    user, _ = user_upsert(username="maria", role=Role.MANAGER, password="pw-maria-123")
    return user


@pytest.fixture
def admin_client(maria):
    """Maria signed in to admin (a sales manager, not pytest-django's superuser)."""
    client = Client()
    client.force_login(maria)
    return client


@pytest.fixture
def capture_key(db):
    """The raw key of a live capture key."""
    _, key = CaptureKey.objects.create_key(name="www.example.com")
    return key


@pytest.fixture
def capture_client(capture_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {capture_key}")
    return client


@pytest.fixture
def capture_form(db):
    return CaptureForm.objects.create(
        name="Contact us",
        success_url="https://www.example.com/thanks/",
        allowed_origins="https://www.example.com",
    )


# Registers the seam-test task with the Celery app of the test process.
from . import tasks as _tasks  # noqa: E402,F401

DEFAULT_DATA = [
    ("scoring.migrations.0003_default_rules", "create_defaults"),
    ("leads.migrations.0005_default_follow_ups", "create_steps"),
]


@pytest.fixture(autouse=True)
def default_data_after_flush(request):
    """Transactional tests flush the database, data migrations' rows included; put the
    default scoring rules and follow-up steps back (idempotently) for tests that need them."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in DEFAULT_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def no_task_fails_unnoticed(request, monkeypatch):
    """Tasks run in-process here and a failure becomes a dead letter, not an exception: fail
    the test instead, unless it is marked `dead_letters` (it expects some)."""
    from crm import dead_letters

    failed = []
    record = dead_letters.dead_letter_record

    def recording(**kwargs):
        failed.append(f"{kwargs['task']}: {kwargs['exc']!r}")
        return record(**kwargs)

    monkeypatch.setattr(dead_letters, "dead_letter_record", recording)
    yield
    if failed and not request.node.get_closest_marker("dead_letters"):
        pytest.fail("A task failed during the test:\n" + "\n".join(failed), pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that migrate back and forth run last. On SQLite, after a migration test (which
    # rebuilds leads_lead) or a live-server test, a later serialized-rollback test has found
    # the database restored without the data migrations' rows (the default nurture sequence,
    # the managers' group permissions): the test it spoiled failed, not the one that spoiled it.
    items.sort(key=lambda item: item.path.name == "test_migrations.py")


@pytest.fixture
def default_nurture_sequence(transactional_db):
    """The data migration's default sequence, made again if a test before this one lost it
    (see pytest_collection_modifyitems); a no-op when it is there."""
    from django.apps import apps

    importlib.import_module("assignment.migrations.0006_default_nurture").create_sequence(
        apps, None
    )
