"""What a capture request may carry, for the capture API and the web-to-lead form alike.

Marketing sites send JSON or form posts with whatever fields their forms have. Known fields
are validated; unknown ones are kept with the capture activity (nothing a visitor sent is
lost), within bounds, and anything that could not be stored faithfully answers 400.
"""

import copy
import json
import math
import re
import unicodedata
from typing import Any, NoReturn, cast

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from crm.openapi import SPACE

from .emails import EmailInvalid, email_normalize
from .models import RESERVED_CUSTOM_FIELDS, Channel

CUSTOM_FIELDS_MAX_KEYS = 50
KEY_MAX = 100
VALUE_MAX = 1000
EXTRA_MAX_KEYS = 50
EXTRA_VALUE_MAX = 2000
EXTRA_LIST_MAX = 20
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})

# Form posts name custom fields custom_fields[utm_source] or custom_fields.utm_source.
_CUSTOM_KEY = re.compile(r"^custom_fields(?:\[(?P<a>[^\]]+)\]|\.(?P<b>.+))$")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text"
    return None


def _scalar_problem(value: Any, max_length: int) -> str | None:
    """Why a value cannot be stored as a flat JSON scalar, or None if it can."""
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, str):
        if len(value) > max_length:
            return f"must be at most {max_length} characters"
        return _text_problem(value)
    return "must be text, a number or a boolean"


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def custom_fields_validate(value: Any) -> dict[str, Any]:
    """A flat object of modest size: text keys, scalar values; keys trimmed, text NFC."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be an object of names to values.")
    if len(value) > CUSTOM_FIELDS_MAX_KEYS:
        raise serializers.ValidationError(f"At most {CUSTOM_FIELDS_MAX_KEYS} entries.")
    cleaned = {}
    for key, item in value.items():
        name = _nfc(key).strip() if isinstance(key, str) else ""
        if not name or len(name) > KEY_MAX or _text_problem(name):
            raise serializers.ValidationError(f"Names must be 1 to {KEY_MAX} characters of text.")
        if name in RESERVED_CUSTOM_FIELDS:
            raise serializers.ValidationError(f"'{name}' is reserved for the CRM.")
        problem = _scalar_problem(item, VALUE_MAX)
        if problem:
            raise serializers.ValidationError(f"'{name}' {problem}.")
        cleaned[name] = _nfc(item)
    return cleaned


def _json_loads(text: str) -> Any:
    def refuse(constant: str) -> NoReturn:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


# Names are trimmed, so they need something besides space (and NUL is never text).
CUSTOM_FIELD_NAME = rf"^[^\x00]*[^\x00{SPACE}][^\x00]*$"


@extend_schema_field(
    {
        "type": "object",
        "description": f"A flat object: at most {CUSTOM_FIELDS_MAX_KEYS} names of 1 to {KEY_MAX} "
        f"characters (not {', '.join(sorted(RESERVED_CUSTOM_FIELDS))}), each to text of at most "
        f"{VALUE_MAX} characters, a number, a boolean or null.",
        "maxProperties": CUSTOM_FIELDS_MAX_KEYS,
        "propertyNames": {"maxLength": KEY_MAX, "pattern": CUSTOM_FIELD_NAME},
        "properties": {
            "bant": {
                "type": "object",
                "readOnly": True,
                "description": "The last BANT answers (qualify), kept by the CRM.",
                "properties": {
                    **dict.fromkeys(
                        ["has_budget", "has_authority", "has_need", "has_timeline"],
                        {"type": "boolean"},
                    ),
                    "notes": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                },
            }
        },
        "additionalProperties": {
            "type": ["string", "number", "boolean", "null"],
            "maxLength": VALUE_MAX,
            "pattern": "^[^\\x00]*$",
        },
    }
)
class CustomFieldsField(serializers.Field):
    default_error_messages = {"invalid": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            try:
                data = _json_loads(data)
            except (ValueError, RecursionError):
                self.fail("invalid")
        return custom_fields_validate(data)

    def to_representation(self, value: Any) -> Any:
        return value


class NormalizedEmailField(serializers.EmailField):
    """Normalised (leads/emails.py) before it is checked, so the stored value is what was checked."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            try:
                data = email_normalize(data)
            except EmailInvalid:
                self.fail("invalid")
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """NFC-normalised, so text typed as composed or decomposed characters is stored alike."""

    def to_internal_value(self, data: Any) -> str:
        return unicodedata.normalize("NFC", super().to_internal_value(data))


class NamedChoiceField(serializers.ChoiceField):
    """Its error lists the choices instead of quoting the input, which could be text no
    renderer can encode (half a surrogate pair, which JSON can escape) and fail the response."""

    default_error_messages = {"invalid_choice": "Must be one of: {choices}."}

    def fail(self, key: str, **kwargs: Any) -> NoReturn:
        if key == "invalid_choice":
            kwargs["choices"] = ", ".join(self.choice_strings_to_values)
        super().fail(key, **kwargs)


_shared_fields: dict[type, BindingDict] = {}


class FieldsBuiltOnce:
    """A serializer whose fields are built once per class, not once per instance.

    DRF deep-copies every declared field for each serializer instance, which cost a capture more
    than validating its input. Fields that keep no state of a request (they read no context, and
    the serializer never validates partially) can be shared by every request and thread; they are
    bound to a blank instance of their own, so no request's data stays reachable from them.
    """

    _declared_fields: dict[str, serializers.Field]

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        fields = _shared_fields.get(cls)
        if fields is None:
            fields = BindingDict(cast(serializers.Serializer, cls()))
            for name, field in copy.deepcopy(self._declared_fields).items():
                fields[name] = field
            _shared_fields[cls] = fields
        return fields


class CaptureInputSerializer(FieldsBuiltOnce, serializers.Serializer):
    first_name = TextField(max_length=100, required=False)
    last_name = TextField(max_length=100, required=False)
    email = NormalizedEmailField(max_length=255)
    phone = TextField(max_length=50, required=False)
    company = TextField(max_length=255, required=False)
    title = TextField(max_length=100, required=False)
    industry = TextField(max_length=100, required=False)
    employee_count = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    annual_revenue = serializers.DecimalField(
        max_digits=15, decimal_places=2, min_value=0, required=False
    )
    channel = NamedChoiceField(choices=Channel.choices, default=Channel.API)
    # DRF's metaclass takes declared fields off the class, so this does not replace
    # Field.source, the attribute the stubs see.
    source = TextField(max_length=50, required=False)  # type: ignore[assignment]
    custom_fields = CustomFieldsField(required=False)
    message = TextField(max_length=10_000, required=False)
    chat_transcript = TextField(max_length=200_000, required=False)


CAPTURE_KEYS = frozenset(CaptureInputSerializer._declared_fields)


class CaptureOutputSerializer(FieldsBuiltOnce, serializers.Serializer):
    """The whole answer to a capture or an event. A capture key sits in marketing sites'
    pages, where anyone can read it: it must learn nothing about a lead it did not send."""

    id = serializers.UUIDField(help_text="The lead's id.")
    created = serializers.BooleanField(help_text="Whether this request created the lead.")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _items(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, QueryDict):
        # A repeated form key (a group of checkboxes) keeps all its values.
        return [(key, values[-1] if len(values) == 1 else values) for key, values in data.lists()]
    return list(data.items())


def capture_payload(data: Any) -> tuple[Any, dict[str, Any]]:
    """Return (fields to validate, extra fields to keep on the activity).

    Empty values count as absent, so a blank form input never erases what a lead has.
    Raises ValidationError for extra fields that cannot be kept as they were sent.
    """
    if not isinstance(data, dict):  # QueryDict is a dict too
        return data, {}
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    bracketed: dict[str, Any] = {}
    for key, value in _items(data):
        if key in IGNORED_KEYS or _is_empty(value):
            continue
        match = _CUSTOM_KEY.match(key)
        if match:
            bracketed[match["a"] or match["b"]] = value
        elif key in CAPTURE_KEYS:
            fields[key] = value
        else:
            extra[key] = value
    if bracketed:
        fields["custom_fields"] = _custom_merge(fields.get("custom_fields"), bracketed)
    extra_validate(extra)
    return fields, extra


def _custom_merge(sent: Any, bracketed: dict[str, Any]) -> Any:
    if sent is None:
        return bracketed
    if isinstance(sent, str):
        try:
            sent = _json_loads(sent)
        except (ValueError, RecursionError):
            return sent  # the serializer reports it
    return {**sent, **bracketed} if isinstance(sent, dict) else sent


def extra_validate(extra: dict[str, Any]) -> None:
    if len(extra) > EXTRA_MAX_KEYS:
        raise serializers.ValidationError(
            {"non_field_errors": [f"At most {EXTRA_MAX_KEYS} fields besides the lead's own."]}
        )
    errors: dict[str, list[str]] = {}
    for key, value in extra.items():
        if len(key) > KEY_MAX or _text_problem(key):
            errors.setdefault("non_field_errors", []).append(
                f"Field names must be 1 to {KEY_MAX} characters of text."
            )
            continue
        values = value if isinstance(value, list) else [value]
        if len(values) > EXTRA_LIST_MAX:
            errors[key] = [f"At most {EXTRA_LIST_MAX} values."]
            continue
        problems = [p for p in (_scalar_problem(v, EXTRA_VALUE_MAX) for v in values) if p]
        if problems:
            errors[key] = [f"This field {problems[0]}."]
    if errors:
        raise serializers.ValidationError(errors)


def capture_kwargs(validated: dict[str, Any]) -> dict[str, Any]:
    """Split validated capture input into lead_capture's keyword arguments."""
    values = dict(validated)
    return {
        "email": values.pop("email"),
        "channel": values.pop("channel"),
        "source": values.pop("source", ""),
        "custom_fields": values.pop("custom_fields", None),
        "message": values.pop("message", ""),
        "chat_transcript": values.pop("chat_transcript", ""),
        "values": values,
    }
