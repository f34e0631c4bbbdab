"""What a capture request carries, JSON or form-encoded, before validation."""

import re
from typing import Any

from django.http import QueryDict

CAPTURE_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "industry",
        "employee_count",
        "annual_revenue",
        "channel",
        "source",
        "custom_fields",
        "message",
        "chat_transcript",
    }
)
# Form posts name custom fields custom_fields[utm_source] or custom_fields.utm_source.
_CUSTOM_KEY = re.compile(r"^custom_fields(?:\[(?P<a>[^\]]+)\]|\.(?P<b>.+))$")
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def capture_payload(data: Any) -> tuple[Any, dict[str, Any]]:
    """Return (fields to validate, extra fields to keep on the activity).

    Empty values count as absent, so a blank form input never erases what a lead has.
    Fields the capture does not know are not dropped: they travel with the activity.
    """
    if isinstance(data, QueryDict):
        data = data.dict()
    if not isinstance(data, dict):
        return data, {}
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for key, value in data.items():
        if key in IGNORED_KEYS or _is_empty(value):
            continue
        match = _CUSTOM_KEY.match(key)
        if match:
            custom[match["a"] or match["b"]] = value
        elif key in CAPTURE_KEYS:
            fields[key] = value
        else:
            extra[key] = value
    if custom:
        existing = fields.get("custom_fields")
        if existing is None:
            fields["custom_fields"] = custom
        elif isinstance(existing, dict):
            fields["custom_fields"] = {**existing, **custom}
    return fields, extra


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
