"""Whatever a client posts to the capture API, it gets a 2xx or a 4xx with errors, never a 5xx,
and a refused request saves nothing.

Hypothesis draws any JSON document, and lead objects with the real field names whose values are
mostly plausible (so many captures succeed and reach the database) and sometimes the values
that break parsers and databases: huge and tiny numbers, NUL bytes, lone surrogates, combining
characters, very long text, international domains, and lists or objects where text is expected.
"""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.capture_input import CAPTURE_KEYS
from leads.models import Lead, LeadActivity

pytestmark = pytest.mark.django_db

URL = "/api/v1/capture/"

PROPERTY_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

nasty_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",
        "e\u0301",
        "\u202e",
        "\ufeff",
        "NaN",
        "Infinity",
        "1e400",
        "-1",
        "99999999999999999999",
        "12.345",
        "bant",
        "x" * 101,
        "y" * 256,
        "z" * 10_001,
        "{}",
        '{"plan": "pro"}',
        '{"bant": true}',
        "[1, 2]",
        "<script>alert(1)</script>",
        "'; DROP TABLE leads_lead; --",
    ]
)
nasty_emails = st.sampled_from(
    [
        "JANE@ACME.COM ",
        "bob@bücher.example",
        "bob@xn--bcher-kva.example",
        "bob@\u2603.example",
        "bob@xn--zz.example",
        "\u017fam@example.com",
        "a@b",
        "@example.com",
        "jane@",
        "jane@acme..com",
        "j\x00ne@acme.com",
        "jane@acme.com\x00",
        "x" * 300 + "@acme.com",
    ]
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 10_000_000.5, 1e15]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(), nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.one_of(st.text(max_size=10), nasty_text), children, max_size=4)
    ),
    max_leaves=12,
)


def mostly(good, bad=json_values | nasty_text):
    """Plausible values nine times in ten, anything at all otherwise."""
    return st.integers(min_value=0, max_value=9).flatmap(lambda i: good if i else bad)


text = mostly(st.text(max_size=40))
custom_values = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=40), nasty_text)
FIELD_VALUES = {
    "email": mostly(st.emails(), nasty_emails | json_values),
    "first_name": text,
    "last_name": text,
    "phone": text,
    "company": text,
    "title": text,
    "industry": text,
    "employee_count": mostly(st.integers(min_value=-10, max_value=10_000_010)),
    "annual_revenue": mostly(
        st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False).map(str)
        | st.integers(min_value=0, max_value=10**13)
    ),
    "channel": mostly(st.sampled_from(["form", "chat", "api", "FORM", ""])),
    "source": text,
    "custom_fields": mostly(
        st.dictionaries(st.text(max_size=12) | nasty_text, custom_values, max_size=6)
    ),
    "message": text,
    "chat_transcript": text,
}
assert set(FIELD_VALUES) == CAPTURE_KEYS

lead_objects = st.fixed_dictionaries(
    {"email": FIELD_VALUES["email"]},
    optional={name: values for name, values in FIELD_VALUES.items() if name != "email"},
).flatmap(
    # Fields the API does not know are kept on the activity, within bounds.
    lambda known: st.dictionaries(
        mostly(st.text(max_size=12), nasty_text), scalars, max_size=3
    ).map(lambda extra: {**extra, **known})
)
bodies = st.one_of(lead_objects, lead_objects, lead_objects, json_values)
idempotency_keys = st.one_of(st.none(), st.none(), st.text(max_size=4))

FORM_FIELDS = [*sorted(CAPTURE_KEYS), "custom_fields[plan]", "custom_fields.seats", "utm_source"]
form_values = mostly(st.text(max_size=40), nasty_text | nasty_emails)
forms = st.dictionaries(
    st.one_of(st.sampled_from(FORM_FIELDS), st.text(min_size=1, max_size=8)),
    st.one_of(form_values, st.lists(form_values, max_size=3)),
    max_size=6,
).flatmap(
    lambda fields: mostly(st.emails(), nasty_emails | st.lists(st.emails(), max_size=2)).map(
        lambda email: {**fields, "email": email}
    )
)


def counts() -> tuple[int, int]:
    return Lead.objects.count(), LeadActivity.objects.count()


def assert_answered_well(response, before: tuple[int, int]) -> None:
    assert response.status_code < 500, response.content
    body = response.json()
    if response.status_code in (200, 201):
        # The id and whether it is new, and nothing else about the lead.
        assert body == {"id": body["id"], "created": response.status_code == 201}, body
        assert Lead.objects.filter(pk=body["id"]).exists()
        return
    assert 400 <= response.status_code < 500, response.status_code
    # Errors per field (or `detail`, `non_field_errors`): an object, never a bare string.
    assert isinstance(body, dict) and body, body
    # A refused request saved nothing.
    assert counts() == before


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(body=bodies, key=idempotency_keys)
def test_any_json_body_gets_a_clean_answer(capture_client, body, key):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    before = counts()

    response = capture_client.post(
        URL, data=json.dumps(body), content_type="application/json", **headers
    )

    assert_answered_well(response, before)


@settings(PROPERTY_SETTINGS, max_examples=75)
@given(form=forms)
def test_any_form_body_gets_a_clean_answer(capture_client, form):
    before = counts()
    # surrogatepass: a lone surrogate goes out as the invalid UTF-8 a broken client would send.
    encoded = urlencode(form, doseq=True, encoding="utf-8", errors="surrogatepass")

    response = capture_client.post(
        URL, data=encoded, content_type="application/x-www-form-urlencoded"
    )

    assert_answered_well(response, before)
