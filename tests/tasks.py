"""Tasks and faults for tests that run a real worker (loaded with `celery worker -I tests.tasks`).

A test makes the worker process running a task die by SIGKILL at a chosen point by creating
the file `<task name>.<point>` in the directory CRM_TEST_FAULTS names: `before` (the task
has been received and is starting) or `after` (its work is committed, the message not yet
acknowledged). The file is removed first, so the redelivered message runs normally.
"""

import os
import signal
from pathlib import Path

from celery import shared_task
from celery.signals import task_postrun, task_prerun

from leads.models import LeadActivity


@shared_task(name="tests.lead_touch")
def lead_touch(lead_id: str) -> None:
    LeadActivity.objects.create(
        lead_id=lead_id, type="note", description="touched", metadata={"pid": os.getpid()}
    )


def _fault(task_name: str, point: str) -> None:
    directory = os.environ.get("CRM_TEST_FAULTS")
    if not directory:
        return
    try:
        (Path(directory) / f"{task_name}.{point}").unlink()
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


@task_prerun.connect
def _fault_before(task=None, **kwargs) -> None:
    _fault(task.name, "before")


@task_postrun.connect
def _fault_after(task=None, **kwargs) -> None:
    _fault(task.name, "after")


ATTEMPTS: dict[str, int] = {}


@shared_task(name="tests.flaky_touch", retry_backoff=False)
def flaky_touch(lead_id: str, failures: int) -> None:
    """Fail with a network error `failures` times for this lead, then touch it."""
    ATTEMPTS[lead_id] = ATTEMPTS.get(lead_id, 0) + 1
    LeadActivity.objects.create(lead_id=lead_id, type="note", description="attempt")
    if ATTEMPTS[lead_id] <= failures:
        raise OSError("connection refused")
    lead_touch(lead_id)
