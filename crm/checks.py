"""System checks that catch a side effect named but not there: a task name nothing registered.

A misspelt or renamed task is otherwise found only when the outbox publishes it and a worker
drops the message as unknown, long after the write that wanted it committed.
"""

import sys
from collections.abc import Iterator, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.module_loading import autodiscover_modules

from . import task_names

TASK_SETTINGS = ("LEAD_CHANGED_TASKS", "LEAD_SCORED_TASKS", "LEADS_RESCORED_TASKS")


def registered_tasks() -> set[str]:
    from .celery import app

    # Every installed app's tasks module, as a worker imports them. (Not Celery's own
    # import_default_modules: in a Django process it runs the system checks, this one too.)
    autodiscover_modules("tasks")
    return set(app.tasks)


def task_names_used() -> Iterator[tuple[str, str]]:
    """(name, where it is used) for every task name the code, settings and schedules name."""
    for constant, name in vars(task_names).items():
        if constant.isupper():
            yield name, f"crm.task_names.{constant}"
    for setting in TASK_SETTINGS:
        for name in getattr(settings, setting, ()):
            yield name, f"settings.{setting}"
    for entry, schedule in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        yield schedule["task"], f"settings.CELERY_BEAT_SCHEDULE[{entry!r}]"
    yield from migration_tasks()


def migration_tasks() -> Iterator[tuple[str, str]]:
    """The SCHEDULED_TASK of each data migration of ours that writes a beat schedule row."""
    ours = {
        config.label
        for config in apps.get_app_configs()
        if config.path.startswith(str(settings.BASE_DIR))
    }
    loader = MigrationLoader(None, load=False)
    loader.load_disk()
    for (label, name), migration in loader.disk_migrations.items():
        scheduled = getattr(sys.modules.get(migration.__module__), "SCHEDULED_TASK", None)
        if label in ours and scheduled:
            yield scheduled, f"migration {label}.{name}"


@register()
def task_names_check(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Error]:
    registered = registered_tasks()
    return [
        Error(
            f"{where} names the task {name!r}, which no app registers.",
            hint="Register it with @shared_task(name=...) or correct the name.",
            id="crm.E001",
        )
        for name, where in task_names_used()
        if name not in registered
    ]


@register(Tags.database)
def scheduled_tasks_check(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Error]:
    """The beat schedule rows in the database (ops edit them in admin) name real tasks."""
    if not databases:
        return []
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    registered = registered_tasks()
    errors = []
    for alias in databases:
        try:
            rows = list(
                PeriodicTask.objects.using(alias)
                .filter(enabled=True)
                .exclude(task__startswith="celery.")
                .values_list("name", "task")
            )
        except DatabaseError:
            connections[alias].close()  # not migrated yet: nothing is scheduled
            continue
        errors += [
            Error(
                f"The periodic task {name!r} runs {task!r}, which no app registers.",
                hint="Correct or disable it in admin (Periodic tasks).",
                id="crm.E002",
            )
            for name, task in rows
            if task not in registered
        ]
    return errors
