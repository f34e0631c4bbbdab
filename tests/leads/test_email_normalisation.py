import pytest
from django.test import Client

from conversion.models import Contact
from leads.emails import EmailInvalid, email_normalize
from leads.models import Lead, LeadActivity
from leads.services import lead_capture, lead_update
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

CAPTURE = "/api/v1/capture/"
PUNYCODE = "bob@xn--bcher-kva.example"


def capture(client, email, **fields):
    return client.post(CAPTURE, {"email": email, **fields}, format="json")


@pytest.mark.parametrize(
    "spelling",
    [
        "bob@bücher.example",
        "BOB@BÜCHER.EXAMPLE",
        "  bob@xn--BCHER-KVA.example ",
        "bob@bu\u0308cher.example",  # u + combining diaeresis: NFC makes it ü
        "bob@ｂücher．example",  # full-width letters and dot, as some keyboards type them
    ],
)
def test_every_spelling_of_an_international_domain_is_one_lead(capture_client, spelling):
    first = capture(capture_client, PUNYCODE)
    again = capture(capture_client, spelling)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Lead.objects.get().email == PUNYCODE
    assert LeadActivity.objects.count() == 2


def test_unicode_domain_first_is_stored_as_ascii(capture_client):
    response = capture(capture_client, "Bob@Bücher.example")

    assert response.status_code == 201
    assert Lead.objects.get().email == PUNYCODE


def test_names_and_text_are_stored_composed(capture_client):
    response = capture(
        capture_client,
        "zoe@example.com",
        first_name="Zoe\u0308",
        company="Cafe\u0301 Ltd",
        custom_fields={"cite\u0301": "Montre\u0301al"},
    )

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company) == ("Zo\u00eb", "Caf\u00e9 Ltd")
    assert lead.custom_fields == {"cit\u00e9": "Montr\u00e9al"}


@pytest.mark.parametrize(
    "email",
    [
        "bob@\u2603.example",  # a snowman: IDNA 2003 encoded it, IDNA 2008 refuses it
        "bob@xn--zz.example",  # not a valid A-label
        "bob@[127.0.0.1]",  # an address literal: no domain to normalise
        "\u017fam@example.com",  # long s, which case-insensitive matching takes for an s
    ],
)
def test_an_invalid_address_answers_400_and_saves_nothing(capture_client, email):
    response = capture(capture_client, email)

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert not Lead.objects.exists()


def test_events_find_the_lead_by_any_spelling(capture_client):
    lead_capture(email="bob@bücher.example")

    response = capture_client.post(
        "/api/v1/events/",
        {"email": "BOB@XN--BCHER-KVA.EXAMPLE", "type": "page_viewed"},
        format="json",
    )

    assert response.status_code == 201
    assert Lead.objects.get().activities.filter(type="page_viewed").count() == 1


def test_event_with_an_invalid_address_answers_400(capture_client):
    response = capture_client.post(
        "/api/v1/events/", {"email": "bob@\u2603.example", "type": "page_viewed"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_web_to_lead_form_joins_the_same_lead(capture_client, capture_form):
    capture(capture_client, PUNYCODE)

    response = Client().post(
        f"/forms/{capture_form.key}/",
        {"email": "Bob@Bücher.example", "first_name": "Bob"},
        headers={"Origin": "https://www.example.com"},
    )

    assert response.status_code == 303
    assert Lead.objects.get().first_name == "Bob"


def test_an_edit_stores_the_ascii_form(manager_client):
    lead = lead_capture(email="ann@example.com").lead

    response = manager_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"email": "Ann@Bücher.example"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["email"] == "ann@xn--bcher-kva.example"


def test_an_edit_to_another_spelling_of_a_taken_address_is_refused(manager_client):
    lead_capture(email="ann@bücher.example")
    lead = lead_capture(email="ann@example.com").lead

    response = manager_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"email": "ANN@XN--BCHER-KVA.example"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["Another lead has this email."]}


def test_lead_update_normalises_the_email(manager):
    lead = lead_capture(email="ann@example.com").lead

    lead = lead_update(lead=lead, data={"email": "ann@Bücher.example"}, by=manager)

    assert lead.email == "ann@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "email, stored",
    [
        ("  Jane@B\u00fccher.Example\n", "jane@xn--bcher-kva.example"),
        ("jane@fa\u00df.de", "jane@xn--fa-hia.de"),  # IDNA 2008 keeps ß (2003 made it ss)
    ],
)
def test_email_normalize(email, stored):
    assert email_normalize(email) == stored


def test_email_normalize_refuses_what_has_no_stored_form():
    with pytest.raises(EmailInvalid):
        email_normalize("bob@\u2603.example")


def test_the_migration_moves_stored_internationalised_domains_to_their_stored_form():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("leads.migrations.0013_emails_idna")
    # Rows written before normalisation, as they were stored then.
    old = LeadFactory()
    Lead.objects.filter(pk=old.pk).update(email="bob@bücher.example")
    taken = LeadFactory(email="ann@xn--mller-kva.example")
    clash = LeadFactory()
    Lead.objects.filter(pk=clash.pk).update(email="ann@müller.example")

    migration.emails_to_idna(apps, None)

    assert Lead.objects.get(pk=old.pk).email == "bob@xn--bcher-kva.example"
    assert Lead.objects.get(pk=clash.pk).email == "ann@müller.example"
    assert Lead.objects.get(pk=taken.pk).email == "ann@xn--mller-kva.example"


@pytest.mark.parametrize(
    "spelling", ['"lead1"@acme.example', '"Lead1"@ACME.example', '"lead\\1"@acme.example']
)
def test_a_needlessly_quoted_address_is_the_same_lead(capture_client, spelling):
    first = capture(capture_client, "lead1@acme.example")
    again = capture(capture_client, spelling)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Lead.objects.get().email == "lead1@acme.example"


@pytest.mark.parametrize(
    "email, stored",
    [
        ('"lead.one"@acme.example', "lead.one@acme.example"),
        ('"a+b"@acme.example', "a+b@acme.example"),
        # Quotes that are needed stay: without them the address would be another or invalid.
        ('"a..b"@acme.example', '"a..b"@acme.example'),
        ('".ann"@acme.example', '".ann"@acme.example'),
        ('"a@b"@acme.example', '"a@b"@acme.example'),
    ],
)
def test_quotes_are_dropped_only_where_unneeded(email, stored):
    assert email_normalize(email) == stored


@pytest.mark.parametrize("email", ["a@localhost", "a@LOCALHOST", "root@intranet"])
def test_a_domain_without_a_dot_is_refused(capture_client, email):
    with pytest.raises(EmailInvalid):
        email_normalize(email)

    response = capture(capture_client, email)

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert not Lead.objects.exists()


def test_an_edit_to_a_domain_without_a_dot_is_refused(manager_client):
    lead = LeadFactory(email="ann@example.com")

    response = manager_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"email": "ann@localhost"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}
    assert Lead.objects.get(pk=lead.pk).email == "ann@example.com"


def test_the_migration_unquotes_stored_addresses():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("leads.migrations.0016_emails_unquoted")
    # Rows stored before quotes were dropped, as they were stored then.
    quoted = LeadFactory(email='"bob"@acme.example')
    needed = LeadFactory(email='"a..b"@acme.example')
    taken = LeadFactory(email="ann@acme.example")
    clash = LeadFactory(email='"ann"@acme.example')
    dotless = LeadFactory(email="root@intranet")
    contact = Contact.objects.create(email='"bob"@acme.example')

    migration.emails_unquote(apps, None)

    # Conversion finds a lead's contact by its email: the contact is unquoted alike.
    assert Contact.objects.get(pk=contact.pk).email == "bob@acme.example"

    assert Lead.objects.get(pk=quoted.pk).email == "bob@acme.example"
    assert Lead.objects.get(pk=needed.pk).email == '"a..b"@acme.example'
    # Another lead has the unquoted form: both stay, for a person to merge.
    assert Lead.objects.get(pk=clash.pk).email == '"ann"@acme.example'
    assert Lead.objects.get(pk=taken.pk).email == "ann@acme.example"
    assert Lead.objects.get(pk=dotless.pk).email == "root@intranet"
