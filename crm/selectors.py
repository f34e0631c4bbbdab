"""Reads of people."""

from django.db.models import Q, QuerySet

from .models import Role, User


def manager_list() -> QuerySet[User]:
    """Sales managers and superusers: the people who see every lead."""
    return User.objects.filter(Q(role=Role.MANAGER) | Q(is_superuser=True))
