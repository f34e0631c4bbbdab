from typing import Any

from django import template

from leads.models import Lead

from ..services import lead_score_explain

register = template.Library()


@register.inclusion_tag("scoring/breakdown.html")
def score_breakdown(lead: Lead) -> dict[str, Any]:
    """Why this lead has its score: the rules that fired, for the lead page."""
    explained = lead_score_explain(lead=lead)
    return {"lead": lead, "lines": explained.lines, "raw": explained.raw}
