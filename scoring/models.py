import uuid

from django.db import models


class ScoringRule(models.Model):
    """One condition on a lead and the points it is worth; managers edit these in admin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    field = models.CharField(max_length=100)
    operator = models.CharField(max_length=50)
    value = models.CharField(max_length=255, blank=True)
    points = models.IntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"
