"""A default nurture sequence, so a new install nurtures from day one; editable in admin."""

from django.db import migrations

NAME = "Not ready yet"
STEPS = [
    (1, 0, "email", "Thanks for your interest, {{ lead.first_name|default:'there' }}",
     "Hello {{ lead.first_name|default:'there' }},\n\nThank you for getting in touch. While you "
     "look around, here is what teams like {{ lead.company|default:'yours' }} use us for: one "
     "place for every lead, scored and routed to the right person at once.\n\nReply to this "
     "email any time: a person reads it.", ""),
    (2, 72, "email", "Three things our customers wish they had done sooner",
     "Hello {{ lead.first_name|default:'there' }},\n\n1. Answer new leads within the hour.\n"
     "2. Score leads on what they do, not only on who they are.\n3. Let nobody fall through the "
     "cracks: every lead has an owner and a next step.\n\nWant to see how? Reply and we will set "
     "up a short call.", ""),
    (3, 168, "email", "Shall we talk?",
     "Hello {{ lead.first_name|default:'there' }},\n\nThis is our last note for now. If the "
     "timing is right, reply with a good time for a 20-minute call. If not, no hard feelings: "
     "you can unsubscribe below.", ""),
    (4, 24, "task", "", "", "Review this nurtured lead"),
]


def create_sequence(apps, schema_editor):
    Sequence = apps.get_model("assignment", "NurtureSequence")
    Step = apps.get_model("assignment", "NurtureStep")
    sequence, created = Sequence.objects.get_or_create(
        name=NAME,
        defaults={"priority": 100, "conditions": [{"field": "score", "operator": "lt", "value": "70"}]},
    )
    if not created:
        return
    for position, delay, action, subject, body, task_title in STEPS:
        Step.objects.create(
            sequence=sequence,
            position=position,
            delay_hours=delay,
            action=action,
            subject=subject,
            body=body,
            task_title=task_title,
            task_for="manager",
        )


def remove_sequence(apps, schema_editor):
    apps.get_model("assignment", "NurtureSequence").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("assignment", "0005_nurture")]

    operations = [migrations.RunPython(create_sequence, remove_sequence)]
