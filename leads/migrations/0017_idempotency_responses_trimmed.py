"""Stored capture and event responses are cut to what the APIs answer now: `{id, created}`.

Until now a capture answered with the whole lead (owner, score, notes) and an event with its
activity, and the idempotency store replays those bodies for a day. A stored lead becomes its
id and whether it was new (201); a stored activity becomes its lead's id. Error bodies hold
only what the caller sent and stay.
"""

import json
import uuid

from django.db import migrations


BATCH = 1000


def responses_trim(apps, schema_editor):
    IdempotencyKey = apps.get_model("leads", "IdempotencyKey")
    rows = (
        IdempotencyKey.objects.filter(status_code__in=[200, 201])
        .exclude(response_body="")
        .only("pk", "status_code", "response_body")
        .order_by("pk")
    )
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            _trim(apps, batch)
            batch = []
    _trim(apps, batch)


def _trim(apps, rows):
    """A few statements per batch of stored responses, not one or two per response."""
    IdempotencyKey = apps.get_model("leads", "IdempotencyKey")
    LeadActivity = apps.get_model("leads", "LeadActivity")
    bodies = {row.pk: json.loads(row.response_body) for row in rows}
    events = {
        pk: body.get("id")
        for pk, body in bodies.items()
        if isinstance(body, dict) and "email" not in body and set(body) - {"id", "created"}
    }
    lead_of = dict(
        LeadActivity.objects.filter(pk__in=[a for a in events.values() if a]).values_list(
            "pk", "lead_id"
        )
    )
    changed, gone = [], []
    for row in rows:
        body = bodies[row.pk]
        if not isinstance(body, dict) or set(body) <= {"id", "created"}:
            continue
        if "email" in body:  # a lead
            trimmed = {"id": body["id"], "created": row.status_code == 201}
        else:  # an event's activity
            lead_id = lead_of.get(_uuid(events[row.pk]))
            if lead_id is None:
                # Its lead was deleted: a retry will answer 404, which is the truth now.
                gone.append(row.pk)
                continue
            trimmed = {"id": str(lead_id), "created": False}
        row.response_body = json.dumps(trimmed)
        changed.append(row)
    IdempotencyKey.objects.bulk_update(changed, ["response_body"])
    IdempotencyKey.objects.filter(pk__in=gone).delete()


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class Migration(migrations.Migration):
    dependencies = [("leads", "0016_emails_unquoted")]

    operations = [migrations.RunPython(responses_trim, migrations.RunPython.noop)]
