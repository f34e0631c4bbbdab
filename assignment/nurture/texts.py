"""The text of nurture emails: a manager writes it, with the lead's fields as template
variables, so what it may use is kept short and what it renders to is bounded."""

from typing import TYPE_CHECKING

from django.template import Context, Engine, Library, Template, defaultfilters

if TYPE_CHECKING:
    from leads.models import Lead

# What a manager's email text may use: the lead's own fields, nothing reachable through them,
# and filters only (no tags: no {% include %}, {% load %} or {% debug %}).
TEMPLATE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "industry",
    "lead_source",
)

# None of these makes its output much longer than its input: ljust, center, stringformat and
# the like would turn '{{ lead.first_name|ljust:"200000000" }}' into 200 MB on a worker.
EMAIL_FILTERS = (
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "lower",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
)
# What one email may carry of a manager's text, once rendered (the body in UTF-8 bytes).
SUBJECT_MAX_CHARS = 200
BODY_MAX_BYTES = 100 * 1024

_email_filters = Library()
for _name in EMAIL_FILTERS:
    _email_filters.filters[_name] = defaultfilters.register.filters[_name]


class FiltersOnlyEngine(Engine):
    def get_template_builtins(self, builtins: list[str]) -> list[Library]:
        return [_email_filters]


EMAIL_TEMPLATES = FiltersOnlyEngine(libraries={})


def text_compile(text: str) -> Template:
    """The text as a template; raises TemplateSyntaxError for text an email step cannot use."""
    return EMAIL_TEMPLATES.from_string(text)


def text_render(text: str, lead: "Lead") -> str:
    fields = {name: getattr(lead, name) for name in TEMPLATE_FIELDS}
    return text_compile(text).render(Context({"lead": fields}, autoescape=False))


def subject_render(text: str, lead: "Lead") -> str:
    """The subject on one line, at most SUBJECT_MAX_CHARS long."""
    return " ".join(text_render(text, lead).split())[:SUBJECT_MAX_CHARS]


def body_render(text: str, lead: "Lead") -> str:
    """The body, at most BODY_MAX_BYTES of UTF-8 (never cut inside a character)."""
    return text_render(text, lead).encode()[:BODY_MAX_BYTES].decode(errors="ignore")
