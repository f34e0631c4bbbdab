"""Lead search: one definition of the expressions, shared by the query and its indexes.

Every word must match one of first name, last name, email or company. On PostgreSQL a word of
three or more characters matches anywhere (a trigram GIN index over the joined fields serves
it); a shorter word, which trigrams cannot index, matches the start of a word through a
`simple` tsvector (GIN). SQLite falls back to case-insensitive LIKE. The index expressions in
migration leads/0002 must stay identical to these, or the planner stops using them.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat

SEARCH_FIELDS = ("first_name", "last_name", "email", "company")
TRIGRAM_MIN = 3

_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


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
    words = _WORD.findall(term)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        return _postgres_search(queryset, words)
    for word in words:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__icontains=word)
        )
    return queryset


def _postgres_search(queryset: QuerySet, words: list[str]) -> QuerySet:
    long_words = [w for w in words if len(w) >= TRIGRAM_MIN]
    short_words = [w for w in words if len(w) < TRIGRAM_MIN]
    if long_words:
        queryset = queryset.annotate(_haystack=search_haystack())
        for word in long_words:
            queryset = queryset.filter(_haystack__icontains=word)
    if short_words:
        # _WORD admits no quote or backslash, so each word is a safe quoted tsquery lexeme.
        query = " & ".join(f"'{word}':*" for word in short_words)
        queryset = queryset.annotate(_search=search_vector()).filter(
            _search=SearchQuery(query, search_type="raw", config="simple")
        )
    return queryset
