"""JSON input must have the types the API schema gives its fields.

DRF converts what it can: 0 becomes "0" in a text field and 1 becomes true in a boolean one,
so a client that sends the wrong type is never told. Form posts carry only text, so they are
left to the fields themselves.
"""

import re
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from django.http import QueryDict
from drf_spectacular.drainage import get_override
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MESSAGES = {
    "string": "Must be text.",
    "boolean": "Must be true or false.",
    "integer": "Must be a whole number.",
    # Decimals are text in the API's output and in its schema, so they are text on input too.
    "decimal": 'Must be a number written as text, such as "1250.00".',
    "object": "Must be an object.",
    "id": "Must be an id: a whole number, or its digits as text.",
}
# Deeper than any input of this API; deeper JSON is refused before anything walks it, since
# every recursive walk (validation, the JSON column, the error response) could exhaust the stack.
MAX_JSON_DEPTH = 32
# A JSON Schema pattern ($ is the end of the text there, not of a line as in Python).
ID_TEXT = "^[0-9]+$"


def json_type(field: serializers.Field) -> str | None:
    """The JSON type a field takes, or None where the field checks for itself."""
    annotation = get_override(field, "field")
    if isinstance(annotation, dict):
        return annotation.get("type") if annotation.get("type") in MESSAGES else None
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(field, serializers.DecimalField):
        return "decimal"
    if isinstance(field, serializers.IntegerField):
        return "integer"
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return "string"
    if isinstance(field, serializers.PrimaryKeyRelatedField) and field.queryset is not None:
        pk = field.queryset.model._meta.pk
        return "id" if pk.get_internal_type().endswith("AutoField") else "string"
    return None


def is_whole_number(value: Any) -> bool:
    # JSON (and its schema) make no difference between 5 and 5.0.
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def json_type_matches(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return is_whole_number(value)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "id":
        # Not 5.5, which the database would read as 5.
        text = isinstance(value, str) and re.fullmatch("[0-9]+", value) is not None
        return is_whole_number(value) or text
    return isinstance(value, str)


if TYPE_CHECKING:
    # What the mixin is mixed into, so mypy knows its fields and the next to_internal_value.
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


# No docstring: drf-spectacular would show it as the description of every serializer using it.
class JSONTypesMixin(_SerializerBase):
    # For serializers of JSON input: a value of the wrong JSON type answers 400 for its field.

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict) or isinstance(data, QueryDict):
            return super().to_internal_value(data)
        errors: dict[str, list[str]] = {}
        for name, field in self.fields.items():
            if field.read_only or data.get(name) is None:
                continue  # null is for the field to accept or refuse
            kind = json_type(field)
            if kind and not json_type_matches(kind, data[name]):
                errors[name] = [MESSAGES[kind]]
        # The other fields are still checked, so that one answer lists every error.
        try:
            value = super().to_internal_value({k: v for k, v in data.items() if k not in errors})
        except serializers.ValidationError as exc:
            # A serializer reports its errors by field name, so its detail is a dict.
            if not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class BoundedJSONParser(JSONParser):
    """JSON nested deeper than MAX_JSON_DEPTH answers 400, not 500."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError("JSON parse error - nested too deeply.")
        return data


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value; iterative, so any depth is safe."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest
