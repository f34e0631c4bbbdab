import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage_env() -> dict[str, str]:
    unset = {"DEBUG", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean["DJANGO_SETTINGS_MODULE"] = "crm.settings"
    return clean


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**manage_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production_configuration():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-production-secret-key-with-plenty-of-entropy-7f3a9c1e5b2d8f4a6c0e",
        ALLOWED_HOSTS="crm.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_serve_without_a_secret_key():
    served = subprocess.run(
        [sys.executable, "-c", "import crm.wsgi"],
        cwd=ROOT,
        env={**manage_env(), "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert served.returncode != 0
    assert "SECRET_KEY must be set" in served.stderr
    # Management commands still run, so migrations can be made and applied.
    assert manage("makemigrations", "--check", "--dry-run", DEBUG="0").returncode == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "True True 31536000"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "HTTPS": "0"}, "False False 0"),
        ({"DEBUG": "1"}, "False False 0"),
    ],
)
def test_https_defaults_on_when_debug_is_off(env, expected):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        **env,
    )

    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_plain_http_production_mode_serves_loopback_by_default():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)",
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY="x" * 60,
    )

    assert result.stdout.strip().splitlines()[-1] == "False ['127.0.0.1', 'localhost']", (
        result.stderr
    )
