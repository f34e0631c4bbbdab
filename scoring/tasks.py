from datetime import datetime

from celery import shared_task

from crm import task_names
from crm.celery import CrmTask

from .services import RESCORE_RUN_STALE, lead_score, leads_rescore, leads_rescore_run

# Two hours of waiting, past any run (the hard limit below), before it is a dead letter.
RESCORE_WAIT_RETRIES = 12


@shared_task(name=task_names.LEAD_SCORE)
def lead_score_task(lead_id: str) -> None:
    lead_score(lead_id=lead_id)


# Commits chunk by chunk and is safe to run twice (crm.celery.CrmTask).
# Minutes at millions of leads: its limits are its own, and under the broker's visibility timeout.
@shared_task(
    bind=True,
    base=CrmTask,
    name=task_names.LEADS_RESCORE,
    dedupe_atomic=False,
    soft_time_limit=3000,
    time_limit=3300,
)
def leads_rescore_task(
    self: CrmTask, since: str | None = None, waiting: bool = False
) -> dict[str, int]:
    if since is not None:
        summary = leads_rescore(since=datetime.fromisoformat(since))
        return {
            "scanned": summary.scanned,
            "changed": summary.changed,
            "qualified": summary.qualified,
        }
    # Everyone: rule changes and the nightly run, one at a time (leads_rescore_run).
    summaries = leads_rescore_run(only_if_owed=waiting)
    if summaries is None and not self.request.is_eager:
        # Another worker is rescoring and will run once more for this request. Should it die
        # (its message then comes back here too), its heartbeat stops: look again once that
        # run would count as dead, and take the request over if nobody has served it.
        raise self.retry(
            kwargs={"waiting": True},
            countdown=RESCORE_RUN_STALE.total_seconds(),
            max_retries=RESCORE_WAIT_RETRIES,
        )
    return {"runs": len(summaries or [])}
