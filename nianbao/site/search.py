"""The search box of the reports and sections table pages, bounded at any archive size.

A table page costs what its rows cost: Datasette lists the page, counts every matching
row and facets them. Searched through `rowid in (index matches)`, each of those looks up
every match in the table — at a million reports a word in every title ("公开") costs
seconds, however fast the index finds it. The index itself counts its matches in
milliseconds. So a search is first counted in its index (exact), then:

- up to EXACT_LIMIT matches: the page as usual, every row counted and faceted;
- more: the page says how many match (that exact count) and lists them newest first
  (the index's rowid order), asking the index for one page at a time; no per-row count
  and no facets (they would have to read every match) — a filter (province, year …)
  brings them back. With other filters or another sort on the page, the matches are
  filtered as usual, only the count and facets are left out.

Which index: 1-2 characters the short-search index (archive/shortsearch.py), 3 or more
the trigram index with Datasette's own escaping (what its `_search` does).

The decision is taken once per request in plugin.py's asgi_wrapper (it needs the count
before Datasette reads the arguments), kept in the request's ASGI scope for
`filters_from_request`.
"""

from __future__ import annotations

from datasette.utils import escape_fts, urlsafe_components
from datasette.utils.asgi import BadRequest

from archive import shortsearch

EXACT_LIMIT = 20_000  # matches a table page still counts and facets (docs/archive.md: "Search")
UNCOUNTED = -1  # the index could not count the matches within the SQL time limit: treated as many
SCOPE_KEY = "nianbao.search"
SEARCH_COLUMNS = {"reports": ("title", "organization"), "sections": ("text",)}
INDEXES = {"reports": ("reports_fts", "reports_short"), "sections": ("sections_fts", "sections_short")}
# Arguments that do not filter rows: with none but these, a large search is listed
# straight from the index (bounded); any other argument filters (column filters, _where …).
PAGE_ARGS = frozenset({"_like", "_search", "_size", "_next", "_labels", "_nolabels", "_col", "_nocol",
                       "_trace", "_nocount", "_nofacet", "_nosuggest", "_shape", "_json", "_facet_size",
                       "_facet", "_facet_array", "_facet_date"})
NEWEST_FIRST = ("_sort_desc", "rowid")
# Datasette 0.65 finds the next page's sort value of a column the page does not select
# (rowid) by primary key only for plain rows, not for rows with expanded foreign-key
# labels (KeyError): a bounded page shows body_id without its label.
PLAIN_ROWS = ("_labels", "off")


def is_short(text: str) -> bool:
    return len(text) < 3


def as_like(query: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The query with its search as `_like` (answered by filters_from_request from the index)."""
    return [(k, v) for k, v in query if k not in ("_search", "_like")] + [("_like", text)]


def match(table: str, text: str, param: str = ":nianbao_like") -> tuple[str, str, str]:
    """(index, MATCH expression SQL, value bound to `param`) for rows containing `text`."""
    trigram, short = INDEXES[table]
    if is_short(text):
        return short, shortsearch.match_sql(short, param), text
    return trigram, param, escape_fts(text)


async def count_matches(db, table: str, text: str) -> int | None:
    """Exact number of rows of `table` containing `text`, from its index; None on an
    archive without the index (older than migration 13: LIKE, counted as usual)."""
    index, expr, value = match(table, text, ":q")
    if not await db.table_exists(index):
        return None
    return (await db.execute(f"SELECT count(*) FROM [{index}] WHERE [{index}] MATCH {expr}", {"q": value})).rows[0][0]


def plan(query: list[tuple[str, str]], matches: int | None) -> tuple[list[tuple[str, str]], bool]:
    """The page's arguments for a search with `matches` rows, and whether it is listed
    straight from the index (bounded)."""
    if matches is None or 0 <= matches <= EXACT_LIMIT:
        return query, False
    query = [(k, v) for k, v in query if k not in ("_nocount", "_nofacet") and (k, v) != NEWEST_FIRST]
    bounded = {k for k, _ in query} <= PAGE_ARGS
    query += [("_nocount", "1"), ("_nofacet", "1")]
    if bounded:
        query = [(k, v) for k, v in query if k != "_labels"] + [NEWEST_FIRST, PLAIN_ROWS]
    return query, bounded


def _page_size(request, datasette, table_size: int | None) -> int:
    size = request.args.get("_size")
    if size == "max":
        return datasette.setting("max_returned_rows")
    if size and size.isdigit():
        return int(size)
    return table_size or datasette.setting("default_page_size")


def filter_sql(request, datasette, table: str, text: str, table_size: int | None = None):
    """(where clause, params, description) of `text` on `table`'s page."""
    index, expr, value = match(table, text)
    params = {"nianbao_like": value}
    state = request.scope.get(SCOPE_KEY) or {}
    tail, matches, bounded = "", None, False
    if state.get("text") == text and state.get("table") == table:
        matches, bounded = state.get("matches"), state.get("bounded")
        if bounded:
            # One page of matches, newest first, from where the last page ended: the
            # page's own `_next` (rowid first, sort_desc=rowid) and size.
            token = request.args.get("_next")
            if token:
                before = urlsafe_components(token)[0]
                if not before.lstrip("-").isdigit():
                    raise BadRequest(f"_next must start with a row number on this page: {token!r}")
                tail = " AND rowid < :nianbao_before"
                params["nianbao_before"] = int(before)
            tail += f" ORDER BY rowid DESC LIMIT {_page_size(request, datasette, table_size) + 1}"
    clause = f"rowid in (SELECT rowid FROM [{index}] WHERE [{index}] MATCH {expr}{tail})"
    description = f'contain "{text}"'
    if matches == UNCOUNTED:
        description += (f" — 超过 {EXACT_LIMIT:,} 条匹配（未能及时计数），最新在前 · more than {EXACT_LIMIT:,}"
                        " matches (too many to count in time), newest first" if bounded else
                        f" — 超过 {EXACT_LIMIT:,} 条匹配 · more than {EXACT_LIMIT:,} matches")
    elif matches is not None and matches > EXACT_LIMIT:
        if bounded:
            description += (f" — {matches:,} 条匹配，最新在前；超过 {EXACT_LIMIT:,} 条不分面，加筛选条件（省、年度…）"
                            f"可分面 · {matches:,} matches, newest first; over {EXACT_LIMIT:,} matches are not"
                            f" faceted: add a filter (province, year …) to facet them")
        else:
            description += (f" — 全表 {matches:,} 条匹配；超过 {EXACT_LIMIT:,} 条时本页不计行数、不分面"
                            f" · {matches:,} matches in the whole table; over {EXACT_LIMIT:,} the page's rows"
                            f" are neither counted nor faceted")
    return clause, params, description


def like_sql(table: str, text: str):
    """An archive older than the short-search index: LIKE over the searched columns."""
    clause = " or ".join(f"[{c}] like :nianbao_like escape '\\'" for c in SEARCH_COLUMNS[table])
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"({clause})", {"nianbao_like": f"%{escaped}%"}, f'contain "{text}"'
