"""A trigger on leads_lead that records each change of owner, status or score in LeadChange.

On PostgreSQL it is a statement-level trigger over the transition tables, so a set-based
UPDATE of 50,000 leads writes its history with one INSERT ... SELECT, not 50,000 calls.
"""

from django.db import migrations

POSTGRES = [
    """
CREATE FUNCTION leads_lead_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO leads_leadchange (
        lead_id, changed_at, owner_before_id, owner_after_id,
        status_before, status_after, score_before, score_after
    )
    SELECT n.id, now(), o.assigned_to_id, n.assigned_to_id,
           o.lead_status, n.lead_status, o.score, n.score
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE o.score IS DISTINCT FROM n.score
       OR o.lead_status IS DISTINCT FROM n.lead_status
       OR o.assigned_to_id IS DISTINCT FROM n.assigned_to_id;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER leads_lead_history AFTER UPDATE ON leads_lead
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION leads_lead_history()
""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS leads_lead_history ON leads_lead",
    "DROP FUNCTION IF EXISTS leads_lead_history()",
]

SQLITE = [
    """
CREATE TRIGGER leads_lead_history AFTER UPDATE OF score, lead_status, assigned_to_id ON leads_lead
FOR EACH ROW WHEN OLD.score IS NOT NEW.score
    OR OLD.lead_status IS NOT NEW.lead_status
    OR OLD.assigned_to_id IS NOT NEW.assigned_to_id
BEGIN
    INSERT INTO leads_leadchange (
        lead_id, changed_at, owner_before_id, owner_after_id,
        status_before, status_after, score_before, score_after
    )
    VALUES (
        NEW.id, strftime('%Y-%m-%d %H:%M:%f', 'now'), OLD.assigned_to_id, NEW.assigned_to_id,
        OLD.lead_status, NEW.lead_status, OLD.score, NEW.score
    );
END
"""
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS leads_lead_history"]
STATEMENTS = {"postgresql": (POSTGRES, POSTGRES_DROP), "sqlite": (SQLITE, SQLITE_DROP)}


def create(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("leads", "0011_lead_change")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
