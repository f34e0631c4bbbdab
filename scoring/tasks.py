from datetime import datetime

from celery import shared_task

from .services import lead_score, leads_rescore, leads_rescore_run


@shared_task(name="scoring.lead_score")
def lead_score_task(lead_id: str) -> None:
    lead_score(lead_id=lead_id)


# Commits chunk by chunk and is safe to run twice (crm.celery.CrmTask).
# Minutes at millions of leads: its limits are its own, and under the broker's visibility timeout.
@shared_task(
    name="scoring.leads_rescore", dedupe_atomic=False, soft_time_limit=3000, time_limit=3300
)
def leads_rescore_task(since: str | None = None) -> dict:
    if since is None:
        # Everyone: rule changes and the nightly run, one at a time (leads_rescore_run).
        return {"runs": leads_rescore_run()}
    summary = leads_rescore(since=datetime.fromisoformat(since))
    return {"scanned": summary.scanned, "changed": summary.changed, "qualified": summary.qualified}
