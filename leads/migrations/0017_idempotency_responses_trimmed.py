"""Stored capture and event responses are cut to what the APIs answer now: `{id, created}`.

Until now a capture answered with the whole lead (owner, score, notes) and an event with its
activity, and the idempotency store replays those bodies for a day. A stored lead becomes its
id and whether it was new (201); a stored activity becomes its lead's id. Error bodies hold
only what the caller sent and stay.
"""

import json

from django.db import migrations


def responses_trim(apps, schema_editor):
    IdempotencyKey = apps.get_model("leads", "IdempotencyKey")
    LeadActivity = apps.get_model("leads", "LeadActivity")
    rows = IdempotencyKey.objects.filter(status_code__in=[200, 201]).exclude(response_body="")
    for row in rows.only("pk", "status_code", "response_body").iterator():
        body = json.loads(row.response_body)
        if not isinstance(body, dict) or set(body) <= {"id", "created"}:
            continue
        if "email" in body:  # a lead
            trimmed = {"id": body["id"], "created": row.status_code == 201}
        else:  # an event's activity
            lead_id = (
                LeadActivity.objects.filter(pk=body.get("id"))
                .values_list("lead_id", flat=True)
                .first()
            )
            if lead_id is None:
                # Its lead was deleted: a retry will answer 404, which is the truth now.
                IdempotencyKey.objects.filter(pk=row.pk).delete()
                continue
            trimmed = {"id": str(lead_id), "created": False}
        IdempotencyKey.objects.filter(pk=row.pk).update(response_body=json.dumps(trimmed))


class Migration(migrations.Migration):
    dependencies = [("leads", "0016_emails_unquoted")]

    operations = [migrations.RunPython(responses_trim, migrations.RunPython.noop)]
