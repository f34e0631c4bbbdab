"""Stored emails with an internationalised domain take the stored form capture now uses.

Before IDNA normalisation `bob@bücher.example` was stored as written; capture now looks up
`bob@xn--bcher-kva.example`, which would miss it and create a second lead. Rows whose stored
form another lead holds already are left as they are, for a person to merge, and listed.
"""

from django.db import migrations


def emails_to_idna(apps, schema_editor):
    from leads.emails import EmailInvalid, email_normalize

    Lead = apps.get_model("leads", "Lead")
    for lead in Lead.objects.filter(email__regex=r"[^\x00-\x7f]").only("pk", "email"):
        try:
            stored = email_normalize(lead.email)
        except EmailInvalid:
            continue
        if stored == lead.email:
            continue
        if Lead.objects.filter(email=stored).exists():
            print(f"\n  lead {lead.pk}: {lead.email} left as is, {stored} is another lead's")
            continue
        Lead.objects.filter(pk=lead.pk).update(email=stored)


class Migration(migrations.Migration):
    dependencies = [("leads", "0012_lead_change_trigger")]

    operations = [migrations.RunPython(emails_to_idna, migrations.RunPython.noop)]
