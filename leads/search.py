"""Lead search: one definition of the expressions, shared by the query and its indexes.

Every word must match one of first name, last name, email or company, which LeadSearch holds
joined by spaces (a word has no space, so it never matches across two fields). On PostgreSQL
a word of three or more characters matches anywhere (a trigram GIN index serves it); a
shorter word, which trigrams cannot index, matches the start of a word through a `simple`
tsvector (GIN). SQLite falls back to case-insensitive LIKE. The index expressions in
migration leads/0014 must stay identical to these, or the planner stops using them.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from .models import Lead, LeadSearch

TRIGRAM_MIN = 3

_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


def lead_search(queryset: QuerySet[Lead], term: str) -> QuerySet[Lead]:
    words = _WORD.findall(term)
    if not words:
        return queryset
    documents = LeadSearch.objects.all()
    if connection.vendor != "postgresql":
        documents = documents.filter(*(Q(document__icontains=word) for word in words))
    else:
        long_words = [w for w in words if len(w) >= TRIGRAM_MIN]
        short_words = [w for w in words if len(w) < TRIGRAM_MIN]
        documents = documents.filter(*(Q(document__icontains=word) for word in long_words))
        if short_words:
            # _WORD admits no quote or backslash, so each word is a safe quoted tsquery lexeme.
            query = " & ".join(f"'{word}':*" for word in short_words)
            documents = documents.alias(vector=SearchVector("document", config="simple")).filter(
                vector=SearchQuery(query, search_type="raw", config="simple")
            )
    # A semi-join rather than a join: the planner then finds the matching documents through
    # their GIN indexes first, however the leads around them are filtered and ordered.
    return queryset.filter(pk__in=documents.values("lead_id"))
