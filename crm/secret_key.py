from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def secret_key_require() -> None:
    """Serving or signing with the development key would be insecure: refuse instead."""
    if not settings.SECRET_KEY_SET:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
