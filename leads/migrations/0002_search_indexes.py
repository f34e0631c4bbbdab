from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Upper

from crm.db import AddPostgresIndex

# These expressions must match leads/search.py exactly, or the planner will not use them.
FIELDS = ("first_name", "last_name", "email", "company")


def haystack() -> Concat:
    parts: list[str | Value] = []
    for name in FIELDS:
        if parts:
            parts.append(Value(" "))
        parts.append(name)
    return Concat(*parts, output_field=CharField())


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [
        TrigramExtension(),
        AddPostgresIndex(
            "lead", GinIndex(SearchVector(*FIELDS, config="simple"), name="lead_search_vector_idx")
        ),
        AddPostgresIndex(
            "lead",
            GinIndex(OpClass(Upper(haystack()), name="gin_trgm_ops"), name="lead_search_trgm_idx"),
        ),
    ]
