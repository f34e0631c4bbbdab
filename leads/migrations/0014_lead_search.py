"""Search moves from leads_lead to LeadSearch, a table of its own kept by triggers.

A rescore rewrites the score of most leads, and PostgreSQL adds every rewritten row to every
index of its table: the two GIN search indexes made a plain one-column UPDATE of 1,000,000
leads 2.5 times slower. The text they index changes rarely, so it now lives in a table whose
rows only a change of name, email or company writes. lead_score_idx goes for the same reason:
lead_hottest_idx (-score, created_at) serves every score filter and ordering.

On PostgreSQL new leads are copied with one statement-level trigger (one INSERT ... SELECT
for a bulk insert); edits with a row trigger on the four columns only, so an UPDATE that does
not set them (a rescore, an assignment) never runs it.
"""

import importlib

import django.db.models.deletion
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models.functions import Upper

from crm.db import AddPostgresIndex, RemovePostgresIndex

# The indexes of 0002, dropped here and built again if this migration is reversed.
old = importlib.import_module("leads.migrations.0002_search_indexes")
OLD_VECTOR = GinIndex(SearchVector(*old.FIELDS, config="simple"), name="lead_search_vector_idx")
OLD_TRIGRAM = GinIndex(
    OpClass(Upper(old.haystack()), name="gin_trgm_ops"), name="lead_search_trgm_idx"
)

# The document is these fields joined by spaces: a search word never holds a space, so it
# matches within one field, as it did against the fields themselves. Each is NOT NULL.
FIELDS = ("first_name", "last_name", "email", "company")


def document(row: str) -> str:
    return " || ' ' || ".join(f"{row}.{name}" for name in FIELDS)


CHANGED = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in FIELDS)
COLUMNS = ", ".join(FIELDS)

POSTGRES = [
    f"""
CREATE FUNCTION leads_lead_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO leads_leadsearch (lead_id, document)
    SELECT n.id, {document("n")} FROM new_rows n;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER leads_lead_search_insert AFTER INSERT ON leads_lead
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION leads_lead_search_insert()
""",
    f"""
CREATE FUNCTION leads_lead_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO leads_leadsearch (lead_id, document) VALUES (NEW.id, {document("NEW")})
    ON CONFLICT (lead_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$
""",
    f"""
CREATE TRIGGER leads_lead_search_update AFTER UPDATE OF {COLUMNS} ON leads_lead
FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION leads_lead_search_update()
""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS leads_lead_search_update ON leads_lead",
    "DROP FUNCTION IF EXISTS leads_lead_search_update()",
    "DROP TRIGGER IF EXISTS leads_lead_search_insert ON leads_lead",
    "DROP FUNCTION IF EXISTS leads_lead_search_insert()",
]

SQLITE = [
    f"""
CREATE TRIGGER leads_lead_search_insert AFTER INSERT ON leads_lead
FOR EACH ROW BEGIN
    INSERT INTO leads_leadsearch (lead_id, document) VALUES (NEW.id, {document("NEW")});
END
""",
    f"""
CREATE TRIGGER leads_lead_search_update AFTER UPDATE OF {COLUMNS} ON leads_lead
FOR EACH ROW WHEN {CHANGED.replace("IS DISTINCT FROM", "IS NOT")} BEGIN
    INSERT INTO leads_leadsearch (lead_id, document) VALUES (NEW.id, {document("NEW")})
    ON CONFLICT (lead_id) DO UPDATE SET document = excluded.document;
END
""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS leads_lead_search_update",
    "DROP TRIGGER IF EXISTS leads_lead_search_insert",
]
STATEMENTS = {"postgresql": (POSTGRES, POSTGRES_DROP), "sqlite": (SQLITE, SQLITE_DROP)}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Writers wait until the migration commits: a lead added or renamed between the copy
        # and the triggers would otherwise never be found.
        schema_editor.execute("LOCK TABLE leads_lead IN SHARE ROW EXCLUSIVE MODE", params=None)
    schema_editor.execute(
        f"INSERT INTO leads_leadsearch (lead_id, document) SELECT l.id, {document('l')} "
        "FROM leads_lead l",
        params=None,
    )
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    for statement in STATEMENTS.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("leads", "0013_emails_idna")]

    operations = [
        migrations.CreateModel(
            name="LeadSearch",
            fields=[
                (
                    "lead",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="leads.lead",
                    ),
                ),
                ("document", models.TextField()),
            ],
        ),
        migrations.RunPython(create, drop, elidable=False),
        # These expressions must stay identical to leads/search.py's, or the planner stops
        # using them.
        AddPostgresIndex(
            "leadsearch",
            GinIndex(SearchVector("document", config="simple"), name="leadsearch_vector_idx"),
        ),
        AddPostgresIndex(
            "leadsearch",
            GinIndex(OpClass(Upper("document"), name="gin_trgm_ops"), name="leadsearch_trgm_idx"),
        ),
        RemovePostgresIndex("lead", OLD_TRIGRAM),
        RemovePostgresIndex("lead", OLD_VECTOR),
        migrations.RemoveIndex(model_name="lead", name="lead_score_idx"),
    ]
