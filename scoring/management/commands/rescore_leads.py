from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from scoring.rescore import RescoreSummary
from scoring.services import leads_rescore, leads_rescore_run

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Rescore leads with the active scoring rules, set-based in the database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--since",
            help="Only leads edited, or with activity, since this ISO date or datetime.",
        )
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Chunks rescored at once, each on its own database connection "
            "(default: RESCORE_WORKERS; SQLite always uses one).",
        )

    def handle(
        self,
        *args: Any,
        since: str | None,
        chunk_size: int | None,
        workers: int | None,
        **options: Any,
    ) -> None:
        if workers is not None and workers < 1:
            raise CommandError("--workers takes a number from 1.")
        since_at = _parse_since(since) if since else None
        show_bar = self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            if show_bar and total:
                filled = BAR_WIDTH * done // total
                bar = "#" * filled + "-" * (BAR_WIDTH - filled)
                self.stdout.write(f"\r[{bar}] {done:,}/{total:,}", ending="")
                self.stdout.flush()

        summaries: list[RescoreSummary] | None
        if since_at is not None:
            summaries = [
                leads_rescore(
                    since=since_at, chunk_size=chunk_size, workers=workers, progress=progress
                )
            ]
        else:
            # Everyone: one rescore at a time, whoever starts it (scoring.RescoreState).
            summaries = leads_rescore_run(chunk_size=chunk_size, workers=workers, progress=progress)
            if summaries is None:
                self.stdout.write(
                    "A rescore of every lead is running; it will run once more when it is done."
                )
                return
        if show_bar:
            self.stdout.write("")
        for summary in summaries:
            self._report(summary)

    def _report(self, summary: RescoreSummary) -> None:
        self.stdout.write(
            f"Leads scanned: {summary.scanned:,}\n"
            f"Scores changed: {summary.changed:,}\n"
            f"Newly qualified: {summary.qualified:,}\n"
            f"Seconds: {summary.seconds:.2f}"
        )


def _parse_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since takes an ISO date or datetime, not {value!r}.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
