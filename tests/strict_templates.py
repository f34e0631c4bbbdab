"""Templates that fail on an unknown variable, for the product's own templates only.

Django renders an unknown variable as TEMPLATES' `string_if_invalid` (by default ''), so a
misspelt name or a missing object shows as a blank and nobody notices. Setting it to an object
whose `%` raises turns each into an error. Django admin's own templates are not written for
that (they use unknown variables on purpose), so the error is raised only when the node being
rendered comes from a template under the project's templates/ directory; a project template
that extends an admin one is strict in its own blocks and lenient in admin's. A variable
with a `default` filter is allowed to be missing.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.template.base import FilterExpression, Node
from django.utils.safestring import mark_safe

PROJECT_TEMPLATES = Path(settings.BASE_DIR, "templates").resolve()


class UnknownTemplateVariable(Exception):
    pass


def _rendering_node() -> Node | None:
    # FilterExpression.resolve, which asks for string_if_invalid, is not told which template
    # it is in; the node rendering it (Node.render_annotated, a few frames up) knows.
    frame = sys._getframe(2)
    while frame is not None:
        node = frame.f_locals.get("self")
        if isinstance(node, Node) and frame.f_code.co_name == "render_annotated":
            return node
        frame = frame.f_back
    return None


def _is_project_template(node: Node | None) -> bool:
    origin = getattr(node, "origin", None)
    name = getattr(origin, "name", None)
    if not name or not isinstance(name, str):
        return False
    try:
        return Path(name).resolve().is_relative_to(PROJECT_TEMPLATES)
    except OSError:
        return False


def _defaulted(frame):
    """`{{ x|default:"y" }}` says x may be missing: apply the filters to None, as Django would
    with string_if_invalid unset (with it set, Django skips the filters)."""
    expression = frame.f_locals.get("self")
    context = frame.f_locals.get("context")
    if not isinstance(expression, FilterExpression) or not any(
        getattr(func, "__name__", "") in ("default", "default_if_none")
        for func, _ in expression.filters
    ):
        return None
    value = None
    for func, args in expression.filters:
        values = [arg.resolve(context) if lookup else mark_safe(arg) for lookup, arg in args]
        extra = {"autoescape": context.autoescape} if getattr(func, "needs_autoescape", 0) else {}
        value = func(value, *values, **extra)
    return "" if value is None else value


class StrictInvalid(str):
    """`string_if_invalid`: '' for Django's templates, an exception for the project's."""

    def __new__(cls):
        return super().__new__(cls, "")

    def __bool__(self) -> bool:
        # Django skips string_if_invalid entirely when it is falsy.
        return True

    def __contains__(self, item) -> bool:
        # Django formats string_if_invalid with the variable's name when it contains "%s".
        return item == "%s"

    def __mod__(self, variable):
        node = _rendering_node()
        defaulted = _defaulted(sys._getframe(1))
        if defaulted is not None:
            return defaulted
        if _is_project_template(node):
            raise UnknownTemplateVariable(
                f"{{{{ {variable} }}}} is unknown in {node.origin.template_name} "
                f"(line {node.token.lineno if node.token else '?'})"
            )
        return ""


def strict_templates(templates: list[dict]) -> list[dict]:
    """TEMPLATES with StrictInvalid as every Django engine's string_if_invalid."""
    return [
        {**engine, "OPTIONS": {**engine.get("OPTIONS", {}), "string_if_invalid": StrictInvalid()}}
        if engine["BACKEND"] == "django.template.backends.django.DjangoTemplates"
        else engine
        for engine in templates
    ]
