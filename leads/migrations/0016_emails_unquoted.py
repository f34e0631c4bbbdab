"""Stored emails with needless quotes take the stored form capture now uses.

Before quotes were dropped, `"bob"@acme.example` was stored as written; capture now looks up
`bob@acme.example`, which would miss it and create a second lead. Rows whose stored form
another lead holds already are left as they are, for a person to merge, and listed. Stored
addresses whose domain has no dot are left too: capture refuses them now, and only a person
knows the right address.
"""

from django.db import migrations


def emails_unquote(apps, schema_editor):
    # Contacts too: conversion finds a lead's contact by the lead's email.
    for model in [apps.get_model("leads", "Lead"), apps.get_model("conversion", "Contact")]:
        _unquote(model)


def _unquote(model):
    from leads.emails import EmailInvalid, email_normalize

    name = model._meta.model_name
    for row in model.objects.filter(email__startswith='"').only("pk", "email"):
        try:
            stored = email_normalize(row.email)
        except EmailInvalid:
            continue
        if stored == row.email:
            continue
        if model.objects.filter(email=stored).exists():
            print(f"\n  {name} {row.pk}: {row.email} left as is, {stored} is another {name}'s")
            continue
        model.objects.filter(pk=row.pk).update(email=stored)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0015_rescore_write_cost"),
        ("conversion", "0003_company_name_unique"),
    ]

    operations = [migrations.RunPython(emails_unquote, migrations.RunPython.noop)]
