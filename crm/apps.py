from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "People and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the tasks in every process: crm.effects sends them by name, and with
        # eager tasks (no broker) they run in the web process itself.
        from . import checks, tasks  # noqa: F401
