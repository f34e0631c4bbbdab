"""The unsubscribe link: opening it asks, the button (or a mail client's one-click) unsubscribes."""

import re

import pytest
from django.test import Client

from leads.models import Lead
from leads.services import unsubscribe_token
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def lead():
    return LeadFactory(email="jane@acme.example")


@pytest.fixture
def link(lead):
    return f"/unsubscribe/{unsubscribe_token(lead)}/"


@pytest.fixture
def mail_scanner():
    # Follows every link in a message, as corporate mail filters do; never signed in.
    return Client(enforce_csrf_checks=True)


def test_opening_the_link_asks_and_unsubscribes_nobody(mail_scanner, lead, link):
    response = mail_scanner.get(link)

    assert response.status_code == 200
    html = response.content.decode()
    assert "jane@acme.example" in html
    form = re.search(r'<form method="post" action="([^"]*)">', html)
    assert form and form.group(1) == link
    assert "<button" in html
    lead.refresh_from_db()
    assert not lead.do_not_email
    assert not lead.activities.filter(type="unsubscribed").exists()


def test_the_button_unsubscribes(mail_scanner, lead, link):
    response = mail_scanner.post(link)

    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    lead.refresh_from_db()
    assert lead.do_not_email
    assert lead.activities.get(type="unsubscribed").description == "Unsubscribed (link)"


def test_a_one_click_post_unsubscribes(mail_scanner, lead, link):
    # RFC 8058: the mail client posts this body to the List-Unsubscribe address.
    response = mail_scanner.post(link, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.do_not_email
    assert lead.activities.get(type="unsubscribed").description == "Unsubscribed (one-click)"


def test_a_second_unsubscribe_changes_nothing_more(mail_scanner, lead, link):
    mail_scanner.post(link)
    response = mail_scanner.post(link)

    assert response.status_code == 200
    assert lead.activities.filter(type="unsubscribed").count() == 1


def test_a_forged_link_unsubscribes_nobody(mail_scanner, lead):
    for method in (mail_scanner.get, mail_scanner.post):
        response = method("/unsubscribe/not-a-token/")

        assert response.status_code == 404
        assert b"<form" not in response.content
    assert not Lead.objects.filter(do_not_email=True).exists()


def test_the_page_carries_nothing_the_policy_would_block(mail_scanner, link):
    for response in (mail_scanner.get(link), mail_scanner.post(link)):
        html = response.content.decode()

        assert "form-action 'self'" in response["Content-Security-Policy"]
        assert not INLINE_SCRIPT.search(html)
        assert not INLINE_HANDLER.search(html)
        assert not STYLE_ATTRIBUTE.search(html)
        assert "<style" not in html
