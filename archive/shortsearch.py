"""1-2 character searches from the short-search indexes (archive/schema.py, migration 13).

`sections_short` / `reports_short` are contentless trigram indexes of every text padded
with two \\x03 characters, so every character of a text starts an indexed trigram. The
rows containing a 1-2 character string q are exactly those holding a trigram that starts
with q: the terms of the index's vocabulary in the range [q, q + U+10FFFF), OR-ed into one
MATCH. FTS5 walks the matching rows in rowid order and stops at a LIMIT, so a common
string ("公开", in every report) costs no more than a rare one. Same answer as LIKE
(tests/test_short_search.py), case-insensitive for ASCII like LIKE.
"""

from __future__ import annotations

NO_MATCH = "'\"' || char(3, 3, 3) || '\"'"  # a term no text holds: no terms in range, no rows


def match_sql(fts: str, param: str = ":q") -> str:
    """An FTS5 MATCH expression (SQL) for the rows of `fts` whose text contains `param`."""
    return (f"(SELECT coalesce(group_concat('\"' || replace(term, '\"', '\"\"') || '\"', ' OR '), {NO_MATCH})"
            f" FROM [{fts}_vocab] WHERE term >= lower({param}) AND term < lower({param}) || char(1114111))")


def rowids_sql(fts: str, param: str = ":q", limit: int | None = None) -> str:
    """SELECT of the matching rowids, newest first (rowid order), at most `limit`."""
    tail = f" ORDER BY rowid DESC LIMIT {int(limit)}" if limit else ""
    return f"SELECT rowid FROM [{fts}] WHERE [{fts}] MATCH {match_sql(fts, param)}{tail}"
