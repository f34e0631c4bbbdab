from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from crm.models import Role, User
from crm.services import user_upsert


class Command(BaseCommand):
    help = "Create or update a sales rep or a sales manager."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email")
        parser.add_argument("--password")

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        email: str | None,
        password: str | None,
        **options: Any,
    ) -> None:
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise CommandError(f"Invalid email: {email}") from exc
        if password:
            # The settings' validators, as the admin and changepassword apply them; checked
            # against the user as they will be, so a password like the username is refused.
            user = User.objects.filter(username=username).first() or User(username=username)
            if email:
                user.email = email
            try:
                validate_password(password, user=user)
            except ValidationError as exc:
                raise CommandError(f"Password refused: {' '.join(exc.messages)}") from exc
        user, created = user_upsert(
            username=username, role=Role(role), email=email, password=password
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {Role(role).label.lower()} {user.username}.")
        if created and not password:
            self.stdout.write(f"No password set: run `python manage.py changepassword {username}`.")
