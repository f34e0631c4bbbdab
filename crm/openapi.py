"""The API schema lists every status an operation can answer, with the body it carries.

drf-spectacular documents what a view declares; the errors DRF raises on its own (no
credentials, a refused role, an unknown id, invalid input) are added here, so that clients
and the schema fuzzer (tests/api/) see the whole contract.
"""

from collections.abc import Sequence
from typing import Any, cast

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import Direction
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings

from .json_input import ID_TEXT, json_type
from .permissions import IsManager, IsSalesUser, NotCaptureKey

FORM = "application/x-www-form-urlencoded"

# Django and DRF refuse NUL in any text (PostgreSQL cannot store it).
NO_NUL = "^[^\\x00]+$"
NO_NUL_OR_EMPTY = "^[^\\x00]*$"
# What str.strip() removes, for inputs that count text of nothing but space as empty.
SPACE = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK = f"^[{SPACE}]*$"

# Permissions that refuse a caller who did authenticate: a capture key, or the wrong role.
REFUSING_PERMISSIONS = (IsSalesUser, IsManager, NotCaptureKey)

DESCRIPTIONS = {
    "400": "Invalid input: messages per field (per query parameter), or `detail` for a body "
    "that does not parse.",
    "401": "No valid credentials.",
    "403": "These credentials may not do this.",
    "404": "No such object visible to you, or no such page.",
}


class ErrorSerializer(serializers.Serializer):
    """Every error but invalid input: `{"detail": "..."}`."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """Invalid input (400); its schema is written out in ValidationErrorSchema."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(
        self, auto_schema: SpectacularAutoSchema, direction: Direction
    ) -> dict[str, Any]:
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": "Field names (or `non_field_errors`) to their messages; "
            "`detail` alone when the body does not parse.",
            "additionalProperties": {"oneOf": [messages, {"type": "string"}]},
        }


def without_null(schema: object) -> object:
    """The schema as a form post can meet it: a form has no null."""
    if isinstance(schema, list):
        return [without_null(item) for item in schema if item != {"type": "null"}]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: without_null(value) for key, value in schema.items()}
    kinds = cleaned.get("type")
    if isinstance(kinds, list):
        cleaned["type"] = [kind for kind in kinds if kind != "null"]
    return cleaned


def is_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The text DRF reads as a decimal within the field's digits (no exponent, no spaces);
    "" is null to a field that takes null."""
    places = field.decimal_places
    if field.max_digits is None or places is None:
        # DRF takes None for "no limit"; then only the shape of the number is checked.
        number = r"(?:\d+(?:\.\d*)?|\.\d+)"
    else:
        whole = field.max_digits - places
        number = rf"(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})"
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    optional = "?" if field.allow_null else ""
    return f"^(?:{sign}{number}){optional}$"


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(
        self, field: serializers.Field, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        if json_type(field) == "id":
            # A user id as sent by forms and scripts alike: a number, or its digits as text.
            digits = {"type": "string", "pattern": ID_TEXT}
            nullable = isinstance(schema.get("type"), list)
            branches = [{"type": "integer"}, digits, *([{"type": "null"}] if nullable else [])]
            return {"anyOf": branches}
        if not is_string(schema):
            return schema
        if isinstance(field, serializers.DecimalField):
            # drf-spectacular's pattern ignores min_value and admits "" and ".".
            schema["pattern"] = decimal_pattern(field)
        elif isinstance(field, serializers.CharField) and not schema.keys() & {
            "pattern",
            "format",
            "enum",
        }:
            schema["pattern"] = NO_NUL
        if isinstance(schema["type"], list):
            # The same in JSON Schema, with null as a branch of its own: Schemathesis (4.32)
            # generates a ["string", "null"] value without the string's format ("" as a date).
            value = {**schema, "type": [kind for kind in schema["type"] if kind != "null"][0]}
            meta = {key: value.pop(key) for key in ("description", "default") if key in value}
            schema = {"anyOf": [value, {"type": "null"}], **meta}
        return schema

    def map_parsers(self) -> list[Any]:
        # The sales API takes JSON. DRF's default parsers read form posts too, but a form has
        # no null and no nested object, so they are no part of the contract; capture, which
        # marketing sites post forms to, names its parsers itself.
        # DRF imports the setting's dotted paths; its stubs type them as the strings.
        default_parsers = cast(Sequence[type[BaseParser]], api_settings.DEFAULT_PARSER_CLASSES)
        if self.view.parser_classes == default_parsers:
            return ["application/json"]
        return super().map_parsers()

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                # Every id in this API is a UUID. Routes take any segment there, so that one
                # that is not a UUID reaches the view and answers the API's JSON 404.
                parameter["schema"] = {"type": "string", "format": "uuid"}
            if parameter["in"] != "query":
                continue
            schema = parameter["schema"]
            if schema.get("type") == "string" and not schema.keys() & {"pattern", "format", "enum"}:
                schema["pattern"] = NO_NUL_OR_EMPTY
            if schema.get("type") != "array":
                # Query parameters follow HTML forms: an empty value is the same as none.
                parameter["allowEmptyValue"] = True
        self._form_without_null(operation)
        responses = operation["responses"]
        for code in self._framework_errors(operation):
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        for code, response in responses.items():
            # Views declare their own errors by description; every error has one of two bodies.
            if code.startswith("4") and "content" not in response:
                serializer = ValidationErrorSerializer if code == "400" else ErrorSerializer
                ref = self.resolve_serializer(serializer, "response").ref
                response["content"] = {"application/json": {"schema": ref}}
        return operation

    def _form_without_null(self, operation: dict[str, Any]) -> None:
        """A form post's own component, without the nulls its JSON twin takes."""
        form = operation.get("requestBody", {}).get("content", {}).get(FORM)
        if not form or "$ref" not in form["schema"]:
            return
        name = form["schema"]["$ref"].rsplit("/", 1)[-1]
        json_twin = self.registry._components[(name, ResolvedComponent.SCHEMA)]
        schema = without_null(json_twin.schema)
        if schema == json_twin.schema:
            return
        component = ResolvedComponent(
            name=f"{name}Form", type=ResolvedComponent.SCHEMA, schema=schema, object=f"{name}Form"
        )
        self.registry.register_on_missing(component)
        form["schema"] = component.ref

    def _framework_errors(self, operation: dict[str, Any]) -> list[str]:
        codes = []
        if any(not isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.append("401")
        if any(isinstance(p, REFUSING_PERMISSIONS) for p in self.view.get_permissions()):
            codes.append("403")
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            codes.append("404")
        has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
        if "requestBody" in operation or has_query:
            codes.append("400")
        return codes
