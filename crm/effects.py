"""The one seam through which a write starts its side effects.

Services call `task_enqueue_on_commit` inside their transaction; the task is sent only once
the transaction commits, so a rolled-back write starts nothing and a task never reads a row
that is not there yet. Tasks are looked up by name so that an app low in the import order
(leads) can start work owned by an app above it (scoring, assignment) without importing it.
"""

from collections.abc import Iterable

from celery import current_app
from django.db import transaction


def task_enqueue_on_commit(task_name: str, *args: object) -> None:
    def send() -> None:
        current_app.tasks[task_name].delay(*args)

    transaction.on_commit(send, robust=True)


def tasks_enqueue_on_commit(task_names: Iterable[str], *args: object) -> None:
    for name in task_names:
        task_enqueue_on_commit(name, *args)
