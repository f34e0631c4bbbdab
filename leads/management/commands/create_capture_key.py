from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from leads.models import CaptureKey


class Command(BaseCommand):
    help = "Create a capture key for a marketing site or integration; prints the key last."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="Who will use the key, e.g. 'www.example.com'.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        _, key = CaptureKey.objects.create_key(name=name)
        self.stdout.write(f"Capture key for {name!r}; store it now, it is not shown again:")
        self.stdout.write(key)
