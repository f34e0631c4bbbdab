import os

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def secret_key_check(**kwargs) -> None:
    # Workers sign unsubscribe links: with the development key they would not verify.
    from django.core.exceptions import ImproperlyConfigured

    from .secret_key import secret_key_require

    try:
        secret_key_require()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; exiting is what stops it.
        raise SystemExit(str(exc)) from exc
