"""Page render times on a large database: the reps' and managers' pages over N leads.

Creates a throwaway test database on DATABASE_URL (PostgreSQL), fills it with N leads
(default 100,000), three activities and one follow-up task each, spread over ten reps, then
renders each page through the full Django stack and prints the median and 95th percentile
time and the number of SQL queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python bench/pages.py [--n 100000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

REPS = 10
RUNS = 30


def fill(n: int) -> None:
    from crm.models import Role
    from crm.services import user_upsert

    reps = [user_upsert(username=f"rep{i}", role=Role.REP)[0] for i in range(REPS)]
    user_upsert(username="manager", role=Role.MANAGER)
    rep_ids = "ARRAY[" + ",".join(str(r.pk) for r in reps) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO leads_lead (id, first_name, last_name, email, phone, company, title, industry,
                employee_count, annual_revenue, lead_source, lead_status, score, grade, qualified,
                assigned_to_id, assigned_at, converted, do_not_email, custom_fields, created_at,
                updated_at)
            SELECT gen_random_uuid(), 'First' || g, 'Last' || g, 'lead' || g || '@example' || (g %% 500) || '.com',
                '', 'Company ' || (g %% 5000), (ARRAY['VP Sales','Engineer','Director','Analyst'])[1 + g %% 4],
                (ARRAY['Technology','Finance','Retail'])[1 + g %% 3], (g %% 3000), (g %% 100) * 100000,
                (ARRAY['webinar','api','website_form','live_chat'])[1 + g %% 4],
                (ARRAY['new','contacted','qualified','unqualified','converted'])[1 + g %% 5],
                g %% 101, (ARRAY['F','D','C','B','A','A+'])[1 + (g %% 101) / 20], (g %% 5 = 2),
                CASE WHEN g %% 10 = 0 THEN NULL ELSE ({rep_ids})[1 + g %% {REPS}] END,
                now() - (g %% 90) * interval '1 day', (g %% 5 = 4), false, '{{}}',
                now() - (g %% 120) * interval '1 day', now()
            FROM generate_series(1, %s) AS g
            """,
            [n],
        )
        cursor.execute(
            """
            INSERT INTO leads_leadactivity (id, lead_id, type, description, metadata, created_at)
            SELECT gen_random_uuid(), l.id, (ARRAY['email_opened','page_viewed','call'])[k], '', '{}',
                l.created_at + k * interval '1 hour'
            FROM leads_lead l CROSS JOIN generate_series(1, 3) AS k
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_task (id, lead_id, owner_id, title, priority, due_at, created_at)
            SELECT gen_random_uuid(), id, assigned_to_id, 'Follow up', 'normal',
                created_at + interval '1 day', created_at
            FROM leads_lead WHERE assigned_to_id IS NOT NULL
            """
        )
        cursor.execute("ANALYZE")


def measure(client: Client, path: str) -> tuple[float, float, int]:
    client.get(path)  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(queries)


def run(n: int) -> None:
    from crm.models import User
    from leads.models import Lead

    fill(n)
    print(f"{Lead.objects.count():,} leads, {REPS} reps")
    rep = User.objects.get(username="rep1")
    lead = Lead.objects.filter(assigned_to=rep).order_by("-score").first()
    if lead is None:
        sys.exit("rep1 owns no lead to open: --n must be at least 1")
    for username, paths in (
        ("rep1", ["/", "/?search=company+42", f"/leads/{lead.pk}/", "/tasks/"]),
        ("manager", ["/", "/?lead_status=qualified&grade=A", "/dashboard/"]),
    ):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path in paths:
            median, p95, queries = measure(client, path)
            print(
                f"{username:<8} {path:<40} median {median:6.1f} ms  p95 {p95:6.1f} ms  {queries:2d} queries"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.n)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
