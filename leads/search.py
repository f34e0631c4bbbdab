"""Lead search: one definition of the expressions, shared by the query and its indexes.

On PostgreSQL a word search runs on a `simple` tsvector (GIN) and a partial search on a
trigram index over the same columns; SQLite falls back to case-insensitive LIKE.
The index expressions in migration 0002 must stay identical to these, or the planner
stops using them.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat

SEARCH_FIELDS = ("first_name", "last_name", "email", "company")

# Trigram matching needs three characters; shorter terms would scan the table.
_TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)


def search_vector() -> SearchVector:
    return SearchVector(*SEARCH_FIELDS, config="simple")


def search_haystack() -> Concat:
    parts: list = []
    for name in SEARCH_FIELDS:
        if parts:
            parts.append(Value(" "))
        parts.append(name)
    return Concat(*parts, output_field=CharField())


def lead_search(queryset: QuerySet, term: str) -> QuerySet:
    words = _TOKEN.findall(term)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        # Every word as a prefix ('jan' finds Jane), all words required.
        query = " & ".join(
            "'{}':*".format(word.replace("'", "''").replace("\\", "")) for word in words
        )
        return queryset.annotate(_search=search_vector(), _haystack=search_haystack()).filter(
            Q(_search=SearchQuery(query, search_type="raw", config="simple"))
            | Q(_haystack__icontains=term.strip())
        )
    for word in words:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__icontains=word)
        )
    return queryset
