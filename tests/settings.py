"""Test settings: production settings with a fixed key, plain HTTP and fast hashing."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-that-is-long-enough-to-pass-checks-0123456789"
)
os.environ.setdefault("HTTPS", "0")

from crm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process unless a test starts a real worker (tests/celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
# Email: the test process gets Django's in-memory outbox from the test runner; a worker
# process started by a test sends through EMAIL_HOST like production (tests/smtp_server.py).
