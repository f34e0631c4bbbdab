from django.conf import settings
from django.db import models


class AssignmentRule(models.Model):
    """Routes the leads that meet every condition to one rep; the lowest priority runs first."""

    name = models.CharField(max_length=255)
    priority = models.PositiveIntegerField(default=100, db_index=True)
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"field", "operator", "value"} conditions that must all hold.',
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignment_rules",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name
