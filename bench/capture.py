"""Capture throughput through the full Django stack (middleware, auth, serializer, upsert).

Runs against a throwaway test database on whatever DATABASE_URL names (SQLite by default) and
prints captures per second for new leads and for duplicates of known leads. The side effects
(scoring, routing, nurturing) are left out, as in production where a worker runs them; pass
--with-effects to run them in-process too, as `make run` does.

    python bench/capture.py [--n 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm python bench/capture.py
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def run(n: int) -> None:
    from leads.models import CaptureKey, Lead

    _, key = CaptureKey.objects.create_key(name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def capture(i: int) -> int:
        return client.post(
            "/api/v1/capture/",
            {
                "email": f"lead{i}@bench.example",
                "first_name": "Bench",
                "company": "Acme",
                "employee_count": 120,
            },
            content_type="application/json",
        ).status_code

    for label, expected in (("new leads", 201), ("duplicates", 200)):
        started = time.perf_counter()
        statuses = [capture(i) for i in range(n)]
        elapsed = time.perf_counter() - started
        assert set(statuses) == {expected}, set(statuses)
        print(
            f"{connection.vendor:<10} {label:<11} {n:>6} captures  {n / elapsed:8.0f}/s  {1000 * elapsed / n:6.2f} ms each"
        )
    assert Lead.objects.count() == n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--with-effects", action="store_true")
    args = parser.parse_args()
    if not args.with_effects:
        from django.conf import settings

        settings.LEAD_CHANGED_TASKS = []
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.n)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
