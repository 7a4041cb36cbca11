"""What one visitor can make the server do: bounded (a Datasette plugin, registered by the
`nianbao_limits` entry point; issue 12 item 4).

- Every connection of the site (`prepare_connection`): SQLite's length limits (no value
  over VALUE_BYTES, no SQL text over SQL_BYTES …), an authorizer that refuses the
  functions that allocate at will or leak (zeroblob, randomblob, fts3_tokenizer,
  load_extension) and makes path-revealing pragmas answer nothing (as /-/databases,
  Datasette's list of files with their paths, answers 404), and a budget of
  RESULT_BYTES per statement's result rows (a row factory counts them; the trace
  callback starts a new budget at each statement).
- Exports (`asgi_wrapper`): at most CSV_STREAMS CSV answers at once — more get
  HTTP 429 with Retry-After — so that downloads never take every SQL thread from the
  page views; a table's CSV (`/db/table.csv`) streams every matching row
  (`_stream=on`), not the first page.
- Archived documents are read with SQLite's incremental blob I/O (`read_blob`), which
  the length limit does not cover: a 50 MB original still downloads.
- Odd requests answer 4xx, never 500 (issue 12 item 11): the site is read-only, so any
  method but GET/HEAD/OPTIONS is 405 (Datasette's debug POST views included); a
  DatasetteError (Datasette refusing a request's arguments, e.g. `_sort` by a column
  that is not sortable) is 400; a row URL whose key has the wrong number of parts is 404.
"""

from __future__ import annotations

import sqlite3
import urllib.parse

from datasette import Response, hookimpl
from datasette.views.base import DatasetteError

# A value over this is refused ("string or blob too big"): every stored text is far
# smaller; archived documents (blobs.data, up to DOWNLOAD_MAXSIZE = 50 MB, crawler/settings.py)
# are read by blob I/O (read_blob), which the limit does not cover.
VALUE_BYTES = 8 * 1024 * 1024
RESULT_BYTES = 16 * 1024 * 1024  # all rows of one statement's answer together
SQL_BYTES = 100_000
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: SQL_BYTES,
    sqlite3.SQLITE_LIMIT_COLUMN: 500,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
}
DENIED_FUNCTIONS = {"zeroblob", "randomblob", "fts3_tokenizer", "load_extension", "readfile", "writefile",
                    "edit", "sqlite_dbpage"}
HIDDEN_PRAGMAS = {"database_list", "temp_store_directory", "data_store_directory", "compile_options",
                  "module_list"}  # answer no rows (Datasette's database page asks database_list)
CSV_STREAMS = 2
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
PATH_PAGES = {"/-/databases", "/-/databases.json"}  # Datasette's list of files with their paths on the server


class ResultTooLarge(sqlite3.DataError):
    pass


class _Budget:
    """Bytes of result values of the statement a connection is running."""

    def __init__(self, conn: sqlite3.Connection):
        self.used = 0
        self.row_factory = conn.row_factory

    def start(self, _sql: str) -> None:
        self.used = 0

    def row(self, cursor, row):
        self.used += sum(len(v) if isinstance(v, str | bytes) else 8 for v in row)
        if self.used > RESULT_BYTES:
            raise ResultTooLarge(f"the answer is over {RESULT_BYTES // (1024 * 1024)} MB; ask for fewer rows or columns")
        return self.row_factory(cursor, row) if self.row_factory else row


def authorize(action, arg1, arg2, _db, _source):
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in HIDDEN_PRAGMAS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


def limit_connection(conn: sqlite3.Connection) -> None:
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.set_authorizer(authorize)
    budget = _Budget(conn)
    conn.set_trace_callback(budget.start)
    conn.row_factory = budget.row


@hookimpl
def prepare_connection(conn, database, datasette):
    if database != "_internal":
        limit_connection(conn)


def read_blob(conn: sqlite3.Connection, table: str, column: str, rowid: int) -> bytes:
    """A stored value of any size through incremental blob I/O (not subject to VALUE_BYTES);
    use with `await db.execute_fn(lambda conn: read_blob(conn, …))`."""
    with conn.blobopen(table, column, rowid, readonly=True) as blob:
        return blob.read()


def _is_csv(scope) -> bool:
    path = scope.get("path", "")
    return path.endswith(".csv") or b"_format=csv" in scope.get("query_string", b"")


def _table_csv_query(datasette, scope) -> bytes | None:
    """`/db/table.csv?…` of a table (not a query) without `_stream`: the same with `_stream=on`."""
    parts = scope.get("path", "").strip("/").split("/")
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if len(parts) != 2 or not parts[1].endswith(".csv") or any(k in ("sql", "_stream", "_next") for k, _ in pairs):
        return None
    try:
        db = datasette.get_database(route=urllib.parse.unquote(parts[0]))
    except KeyError:
        return None
    table = urllib.parse.unquote(parts[1][: -len(".csv")])
    if db.is_memory or table not in (datasette.metadata("tables", database=db.name) or {}):
        return None  # the archive's tables are all in metadata.yml; queries and others keep Datasette's CSV
    return urllib.parse.urlencode(pairs + [("_stream", "on")]).encode()


async def _refuse(send, status: int, message: str, headers=()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers]})
    await send({"type": "http.response.body", "body": (message + "\n").encode()})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        streams = [0]

        async def bounded(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            if scope.get("method", "GET") not in READ_METHODS:
                return await _refuse(send, 405, "this site is read-only", [(b"allow", b"GET, HEAD, OPTIONS")])
            if scope.get("path", "").rstrip("/") in PATH_PAGES:
                return await _refuse(send, 404, "not found")
            if not _is_csv(scope):
                return await app(scope, receive, send)
            if streams[0] >= CSV_STREAMS:
                return await _refuse(send, 429, f"{CSV_STREAMS} exports are running; try again in a few seconds",
                                     [(b"retry-after", b"10")])
            streamed = _table_csv_query(datasette, scope)
            if streamed is not None:
                scope = dict(scope, query_string=streamed)
            streams[0] += 1
            try:
                # a client that goes away ends its download at the next chunk (plugin.py's
                # _quiet_disconnects), which frees its slot here
                return await app(scope, receive, send)
            finally:
                streams[0] -= 1

        return bounded

    return wrap


@hookimpl
def handle_exception(datasette, request, exception):
    """Errors caused by a request's arguments are the request's fault: 4xx, not 500."""
    if isinstance(exception, DatasetteError) and exception.status == 500:
        exception.status = 400  # Datasette's default handler renders it, now as 400
        return None
    if isinstance(exception, sqlite3.ProgrammingError | sqlite3.DataError):
        # a row key with too few or too many parts (missing binding); a value over the limits
        if request is not None and "pks" in request.url_vars:
            status, message = 404, "Not found: not a key of this table"
        else:
            status, message = 400, f"Bad request: {exception}"

        async def inner():
            return Response.text(message, status=status)

        return inner
    return None
