"""The one seam through which a write starts its side effects.

Services call `task_enqueue_on_commit` inside their transaction. The task is written to the
outbox in that transaction (crm/outbox.py) and published once it commits, so a rolled-back
write starts nothing, a task never reads a row that is not there yet, and a broker outage
delays side effects instead of losing them. Tasks are looked up by name so that an app low in
the import order (leads) can start work owned by an app above it (scoring, assignment)
without importing it.
"""

from collections.abc import Iterable

from .outbox import outbox_add


def task_enqueue_on_commit(task_name: str, *args: object) -> None:
    outbox_add(task_name, *args)


def tasks_enqueue_on_commit(task_names: Iterable[str], *args: object) -> None:
    for name in task_names:
        outbox_add(name, *args)
