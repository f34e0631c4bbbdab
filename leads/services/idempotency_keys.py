"""Idempotency keys of the capture APIs: reserve a key, then store or release its response.

After the IETF httpapi Idempotency-Key draft and Stripe's design. The reservation is its own
short transaction that commits before the request runs, so a concurrent request with the same
key finds the row (or waits on its insert and then finds it) and is told the first is still
running. A request that ended in an error of ours releases its key, so a retry runs again.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import IdempotencyKey

# Keys are kept at least this long; the purge removes them after it.
KEEP_FOR = timedelta(hours=24)
# A reservation this old with no response belongs to a process that died mid-request (gunicorn
# kills a request long before): a retry of the same request may take it over.
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyKeyInUse(Exception):
    """A request with this key is still running."""


class IdempotencyKeyReused(Exception):
    """This key was used for a different request."""


def idempotency_key_reserve(*, capture_key_id: str, key: str, fingerprint: str) -> IdempotencyKey:
    """Reserve `key` for a request, or return the stored outcome of an earlier one.

    Returns a row without a status when this request should run (and then complete or
    release it), or the row of a finished request with the same fingerprint to replay.
    Raises IdempotencyKeyInUse or IdempotencyKeyReused.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                capture_key_id=capture_key_id, key=key, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        pass
    row = IdempotencyKey.objects.filter(capture_key_id=capture_key_id, key=key).first()
    if row is None:
        # Released or purged since our insert failed; the client's next retry will run.
        raise IdempotencyKeyInUse
    expired = row.created_at < now - KEEP_FOR
    abandoned = (
        row.status_code is None
        and row.fingerprint == fingerprint
        and row.created_at < now - ABANDONED_AFTER
    )
    if expired or abandoned:
        return _take_over(row, fingerprint=fingerprint, now=now)
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if row.status_code is None:
        raise IdempotencyKeyInUse
    return row


def _take_over(row: IdempotencyKey, *, fingerprint: str, now: datetime) -> IdempotencyKey:
    # Compare-and-set on created_at: of two retries taking over one row, one wins.
    taken = IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).update(
        fingerprint=fingerprint, status_code=None, response_body="", created_at=now
    )
    if not taken:
        raise IdempotencyKeyInUse
    row.fingerprint, row.status_code, row.response_body, row.created_at = (
        fingerprint,
        None,
        "",
        now,
    )
    return row


def idempotency_key_complete(*, row: IdempotencyKey, status_code: int, body: str) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status_code, response_body=body)


def idempotency_key_release(*, row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, status_code__isnull=True).delete()


def idempotency_keys_purge() -> int:
    """Delete keys past KEEP_FOR, in one statement; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted
