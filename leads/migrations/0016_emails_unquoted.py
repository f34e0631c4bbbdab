"""Stored emails with needless quotes take the stored form capture now uses.

Before quotes were dropped, `"bob"@acme.example` was stored as written; capture now looks up
`bob@acme.example`, which would miss it and create a second lead. Rows whose stored form
another lead holds already are left as they are, for a person to merge, and listed. Stored
addresses whose domain has no dot are left too: capture refuses them now, and only a person
knows the right address.
"""

from django.db import migrations


def emails_unquote(apps, schema_editor):
    from leads.emails import EmailInvalid, email_normalize

    Lead = apps.get_model("leads", "Lead")
    for lead in Lead.objects.filter(email__startswith='"').only("pk", "email"):
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
    dependencies = [("leads", "0015_rescore_write_cost")]

    operations = [migrations.RunPython(emails_unquote, migrations.RunPython.noop)]
