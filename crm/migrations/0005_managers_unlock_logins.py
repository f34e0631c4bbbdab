"""Sales managers see failed logins and lift lockouts in admin (django-axes' records).

A managers' group made from now on gets these with the rest (crm/services.py); one that
exists already gets them here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS_GROUP = "Sales managers"
CODENAMES = (
    "view_accessattempt",
    "delete_accessattempt",
    "view_accesslog",
    "view_accessfailurelog",
)


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MANAGERS_GROUP).first()
    if group is None:
        return
    # Permissions are made after migrations run; axes' may not exist yet on this database.
    app_config = apps.get_app_config("axes")
    made_for_state = getattr(app_config, "models_module", None) is None
    if made_for_state:
        app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    if made_for_state:
        app_config.models_module = None
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=MANAGERS_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="axes", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_outbox_relay_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
