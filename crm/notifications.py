"""Emails to users, each sent at most once per event however often its task runs."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone

from . import task_names
from .effects import task_enqueue_on_commit
from .models import Notification, User
from .selectors import manager_active_list


def subject_render(template: str, context: dict[str, Any]) -> str:
    """The subject line in `template`, rendered as the plain text a subject is.

    Django escapes for HTML by default, which would put `O&#x27;Brien` in an inbox. Line
    breaks are folded to spaces: a header has one line.
    """
    text = Engine.get_default().get_template(template).render(Context(context, autoescape=False))
    return " ".join(text.split())


def notification_queue(
    *, key: str, recipient: User, template: str, context: dict[str, Any]
) -> Notification:
    """Record the email for `key` and send it after commit; a second call for the key is a no-op.

    `template` names templates/<template>_subject.txt, _body.txt and _body.html.
    """
    notification, created = Notification.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "template": template, "context": context}
    )
    if created:
        task_enqueue_on_commit(task_names.NOTIFICATION_SEND, notification.pk)
    return notification


def managers_notify(*, key: str, template: str, context: dict[str, Any]) -> None:
    """Queue the email for every active manager, once per manager and `key`."""
    for manager in manager_active_list():
        notification_queue(
            key=f"{key}:{manager.pk}", recipient=manager, template=template, context=context
        )


def notification_send(*, notification_id: int) -> bool:
    """Send it unless it went already; True if this call sent it.

    The row lock makes a concurrent duplicate wait and then see it sent. A crash after the
    SMTP server accepted the message but before the commit would send it again: the one
    window at-least-once delivery leaves.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, sent_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        context = {
            **notification.context,
            "site_url": settings.SITE_URL,
            "user": notification.recipient,
        }
        message = EmailMultiAlternatives(
            subject=subject_render(f"{notification.template}_subject.txt", context),
            body=render_to_string(f"{notification.template}_body.txt", context),
            to=[notification.recipient.email],
            headers={"X-CRM-Notification": notification.key},
        )
        message.attach_alternative(
            render_to_string(f"{notification.template}_body.html", context), "text/html"
        )
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True
