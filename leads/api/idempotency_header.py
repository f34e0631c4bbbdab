"""The `Idempotency-Key` header of the capture and events APIs.

A client that retries a POST after a timeout sends the same key: the retry gets the first
response again (status and body) and changes nothing. Keys are scoped to the capture key and
kept at least 24 hours. Without the header a request runs as before, at no extra cost.
"""

import hashlib
import json
import re
from collections.abc import Callable

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from ..services.idempotency_keys import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    idempotency_key_complete,
    idempotency_key_release,
    idempotency_key_reserve,
)
from .authentication import request_capture_key

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
KEY_MAX = 255
# Printable ASCII, not starting or ending with a space (HTTP would strip it on the way).
KEY_PATTERN = rf"^[\x21-\x7e](?:[\x20-\x7e]{{0,{KEY_MAX - 2}}}[\x21-\x7e])?$"
_VALID_KEY = re.compile(KEY_PATTERN.removesuffix("$") + r"\Z")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type={"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique value per request (a UUID): 1 to 255 printable ASCII characters, with no "
        "space at either end. A retry "
        "with the same key and body gets the original status and body again (with "
        "`Idempotent-Replayed: true`) and changes nothing; the same key with another body "
        "answers 422; a retry while the first request still runs answers 409. Keys are "
        "scoped to the capture key and kept at least 24 hours."
    ),
)

IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(description="A request with this Idempotency-Key is still running."),
    422: OpenApiResponse(description="This Idempotency-Key was used with a different request."),
}


def request_fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    # A request the server received always has a method; Django's type allows a bare one's None.
    for part in (request.method or "", request.path, request.content_type or ""):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotent_response(
    view: APIView, request: Request, handle: Callable[[Request], Response]
) -> Response:
    """Run `handle(request)` at most once per Idempotency-Key, replaying its response after.

    A 2xx or 4xx response is stored for replay. A 5xx or an unhandled exception releases the
    key, so a retry runs again: the failed attempt's transaction rolled back.
    """
    key = request.META.get(META_KEY)
    if key is None:
        return handle(request)
    if not _VALID_KEY.match(key):
        return Response(
            {
                HEADER: [
                    f"Must be 1 to {KEY_MAX} printable ASCII characters, with no space at "
                    "either end."
                ]
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        row = idempotency_key_reserve(
            capture_key_id=request_capture_key(request).pk,
            key=key,
            fingerprint=request_fingerprint(request),
        )
    except IdempotencyKeyInUse:
        return Response(
            {"detail": "A request with this Idempotency-Key is still running; retry later."},
            status=status.HTTP_409_CONFLICT,
        )
    except IdempotencyKeyReused:
        return Response(
            {"detail": "This Idempotency-Key was already used with a different request."},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if row.status_code is not None:
        return Response(
            json.loads(row.response_body) if row.response_body else None,
            status=row.status_code,
            headers={"Idempotent-Replayed": "true"},
        )

    # The outcome is stored in the transaction of the work itself: a key without a stored
    # response then always means nothing was committed, and a retry may safely run again.
    try:
        with transaction.atomic():
            try:
                response = handle(request)
            except Exception as exc:
                # Validation errors and the like become their 4xx response here, to be stored;
                # anything else is raised again.
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                raise _Failed(response)
            body = "" if response.data is None else json.dumps(response.data, cls=JSONEncoder)
            idempotency_key_complete(row=row, status_code=response.status_code, body=body)
    except _Failed as failed:
        idempotency_key_release(row=row)
        return failed.response
    except BaseException:
        idempotency_key_release(row=row)
        raise
    return response


class _Failed(Exception):
    """Rolls back a request that answered 5xx without raising."""

    def __init__(self, response: Response) -> None:
        self.response = response
