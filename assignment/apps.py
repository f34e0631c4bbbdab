from django.apps import AppConfig


class AssignmentConfig(AppConfig):
    name = "assignment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the tasks in every process (see scoring.apps).
        from . import tasks  # noqa: F401
