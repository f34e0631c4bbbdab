"""Reads of customers, scoped to who may see them: managers all, reps what they own."""

from django.db.models import Model, QuerySet

from crm.models import User


def owned_by(model: type[Model], user: User) -> QuerySet:
    records = model.objects.all()
    if user.is_manager:
        return records
    if user.is_rep:
        return records.filter(owner=user)
    return records.none()
