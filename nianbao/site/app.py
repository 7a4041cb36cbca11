"""Build the Datasette instance that publishes an archive (used by `nianbao serve` and the tests).

The site is read-only: the file is opened immutable, SQL has a time limit, and
metadata.yml, templates/ and plugin.py of this package (nianbao.site) shape the pages.

Facet counts and row counts of table pages are cached (`ArchiveDatabase`): the
file is served immutable, so the answer to the same query over the same file
never changes. The cache is keyed on the exact SQL and parameters Datasette
builds, lives in the process, and is dropped (and bypassed) as soon as the
file's size, mtime or inode differ from when it was opened, so it cannot
outlive the content it was computed from. On a miss, a table page's count and
all of its metadata facets come from one GROUP BY pass instead of six queries.
Unfiltered counts and facets, and Datasette's count of every table, come from
the counts the archive's triggers keep (`row_counts`, archive/schema.py), so
they cost the same at 10k and 1M reports. `warm_site` fills the cache for the
default pages before `nianbao serve` listens.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sqlite3
import time
from collections import Counter, OrderedDict
from pathlib import Path

import yaml

from archive.schema import COUNTS_TABLE, FTS_CONTENT, read_counts
from archive.store import check_archive_file

from . import plugin

HERE = Path(__file__).resolve().parent
METADATA = HERE / "metadata.yml"
TEMPLATES = HERE / "templates"
PLUGIN_NAME = "nianbao"  # the entry point's name in pyproject.toml ([project.entry-points.datasette])
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,  # the archive can be large; SQL and JSON suffice
    "suggest_facets": False,  # suggestion queries scan every column of a million rows
}
WARM_LIMIT_MS = 60 * 60 * 1000  # start-up work may take long on a huge file; pages may not
CACHE_ENTRIES = 2048  # (table, filter) answers kept; each is a few dozen values
UNCOUNTED_LIMIT_MS = 2000  # a table without stored counts (FTS segments …) counted at most this long

# Datasette 0.65's ColumnFacet and TableView SQL (datasette/facets.py, views/table.py).
_FACET_SQL = re.compile(
    r"\s*select (?P<col>\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_]*) as value, count\(\*\) as count from \(\s*"
    r"(?P<inner>select .*?)\s*\)\s*where (?P=col) is not null\s*"
    r"group by (?P=col) order by count desc, value limit (?P<limit>\d+)\s*$",
    re.S,
)
_COUNT_SQL = re.compile(
    r"select count\(\*\) from (?P<table>\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_]*) (?P<where>.*)$", re.S
)
# Anything whose answer may change between two runs over the same bytes is never cached.
_VOLATILE = re.compile(r"random|changes|last_insert_rowid|now|date|time|julianday|unixepoch|sqlite_", re.I)


def load_metadata(database_name: str) -> dict:
    """metadata.yml with its placeholder database key renamed to the served file's name."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    dbs = metadata.get("databases") or {}
    if "archive" in dbs:
        dbs[database_name] = dbs.pop("archive")
    return metadata


def fold_wal(path: Path) -> None:
    """Immutable mode ignores the -wal file, so fold a writer's leftover WAL into the
    database first (a checkpoint moves pages; it changes no content)."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        conn = sqlite3.connect(str(path))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


def file_identity(path: str | Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class CachedRow(tuple):
    """A result row readable by position and by column name, like sqlite3.Row."""

    names: tuple[str, ...] = ()

    def __new__(cls, names, values):
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            key = self.names.index(key)
        return super().__getitem__(key)

    def keys(self):
        return list(self.names)


def _sqlite_order(value):
    """SQLite's ORDER BY for non-NULL values under BINARY collation: numbers, then text
    (code point order = UTF-8 byte order), then blobs."""
    if isinstance(value, int | float):
        return (0, value, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, bytes(value))


def _escape(name: str) -> str:
    from datasette.utils import escape_sqlite

    return escape_sqlite(name)


def _database_class():
    from datasette.database import Database, QueryInterrupted, Results

    def _results(names, rows):
        description = tuple((n,) + (None,) * 6 for n in names)
        return Results([CachedRow(names, r) for r in rows], False, description)

    class ArchiveDatabase(Database):
        """An immutable archive whose table-page counts and facets are computed once.

        Only the two SQL shapes Datasette itself builds for a table page are
        cached (`select count(*) from T where …` and ColumnFacet's GROUP BY),
        and only with truncate=False: SQL typed by users (the query page,
        canned queries) always runs."""

        def __init__(self, ds, path, facet_tables: dict[str, list[str]]):
            super().__init__(ds, path=str(path), is_mutable=False)
            self.identity = file_identity(path)
            # Datasette hashes every byte of an immutable file for `hash` (only the home
            # page's colour and /-/databases.json use it): 42 s at 1M reports. The
            # file's size and mtime name this version as well; `nianbao verify`
            # checks the content.
            self.cached_hash = hashlib.sha256(f"{path.name}:{self.identity[2]}:{self.identity[3]}".encode()).hexdigest()
            self.facet_tables = facet_tables  # table -> its metadata column facets
            self.cache: OrderedDict = OrderedDict()
            self.pinned: dict = {}  # the default pages' answers, never evicted
            self.stats = Counter()
            self._inner_prefix: dict[str, str] = {}
            self._prepared = False
            self.stored_totals: dict[str, int] = {}  # row_counts (archive/schema.py), read once
            self.stored_facets: dict[tuple[str, str], list] = {}
            self.warming = False  # answers computed now are pinned (the default pages)

        # -- cache bookkeeping -------------------------------------------------
        def cache_valid(self) -> bool:
            try:
                same = file_identity(self.path) == self.identity
            except OSError:
                same = False
            if not same:  # counts of another file: forget them all, count the new one as plain Datasette
                self.cache.clear()
                self.pinned.clear()
                self.stored_totals, self.stored_facets = {}, {}
                self._cached_table_counts = None
            return same

        def clear_cache(self) -> None:
            self.cache.clear()
            self.pinned.clear()

        def _get(self, key):
            if key in self.pinned:
                return self.pinned[key]
            value = self.cache.get(key)
            if value is not None:
                self.cache.move_to_end(key)
            return value

        def _put(self, key, value, pin=False):
            if pin or self.warming:
                self.pinned[key] = value
                return
            self.cache[key] = value
            self.cache.move_to_end(key)
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)

        # -- SQL ---------------------------------------------------------------
        async def execute(
            self,
            sql,
            params=None,
            truncate=False,
            custom_time_limit=None,
            page_size=None,
            log_sql_errors=True,
        ):
            plain = dict(
                params=params,
                truncate=truncate,
                custom_time_limit=custom_time_limit,
                page_size=page_size,
                log_sql_errors=log_sql_errors,
            )
            if truncate or not self.cache_valid():
                return await super().execute(sql, **plain)
            await self.prepare()
            try:
                frozen = (
                    tuple(sorted((params or {}).items())) if isinstance(params, dict) else tuple(params or ())
                )
                hash(frozen)
            except TypeError:
                return await super().execute(sql, **plain)
            count = _COUNT_SQL.match(sql)
            if count:
                where = count["where"].strip()
                if _VOLATILE.search(where):
                    return await super().execute(sql, **plain)
                table = self._table_for(count["table"])
                if not where:  # stored by the archive's triggers, or counted once for the immutable file
                    name = table or count["table"].strip("[]")
                    known = self.stored_totals.get(name, (self._cached_table_counts or {}).get(name))
                    if known is not None:
                        self.stats["hits"] += 1
                        return _results(("count(*)",), [(known,)])
                elif table:
                    group = await self._group(table, where, frozen, params)
                    if group is not None:
                        return _results(("count(*)",), [(group["total"],)])
                return await self._cached(("sql", sql, frozen), sql, plain)
            facet = _FACET_SQL.match(sql)
            if facet is None:
                return await super().execute(sql, **plain)
            column = facet["col"][1:-1] if facet["col"].startswith("[") else facet["col"]
            table, where = self._split_inner(facet["inner"])
            if _VOLATILE.search(facet["inner"] if table is None else where):
                return await super().execute(sql, **plain)
            if table is not None and not where and (table, column) in self.stored_facets:
                self.stats["hits"] += 1
                return _results(("value", "count"), self.stored_facets[table, column][: int(facet["limit"])])
            if table is not None and where and column in self.facet_tables.get(table, ()):
                group = await self._group(table, where, frozen, params)
                if group is not None:
                    return _results(("value", "count"), group["facets"][column][: int(facet["limit"])])
                # The pass over these rows ran out of the whole page's time limit: one
                # facet's GROUP BY over the same rows could not finish in its 1 s either.
                # Say "timed out" now instead of after a second each.
                self.stats["facet_skipped"] += 1
                raise QueryInterrupted(sqlite3.OperationalError("interrupted"), sql, params)
            return await self._cached(("sql", sql, frozen), sql, plain)

        async def _cached(self, key, sql, plain):
            cached = self._get(key)
            if cached is not None:
                self.stats["hits"] += 1
                return cached
            self.stats["misses"] += 1
            results = await super().execute(sql, **plain)  # a timeout raises: nothing cached
            self._put(key, results)
            return results

        def _table_for(self, token: str) -> str | None:
            for table in self.facet_tables:
                if _escape(table) == token:
                    return table
            return None

        def _split_inner(self, inner: str):
            """`select <every column> from T <where>` (TableView's SQL for facets) -> (T, where)."""
            inner = inner.strip() + " "
            for table, prefix in self._inner_prefix.items():
                if inner.startswith(prefix):
                    return table, inner[len(prefix) :].strip()
            return None, None

        async def prepare(self) -> None:
            """Learn the exact SELECT prefix TableView writes for each faceted table (once)."""
            if self._prepared:
                return
            self._prepared = True
            await self._load_stored_counts()
            for table in list(self.facet_tables):
                columns = await self.table_columns(table)
                if not columns:  # a table this (older) archive lacks
                    del self.facet_tables[table]
                    continue
                pks = await self.primary_keys(table)
                select = ", ".join(_escape(c) for c in columns)
                if not pks:
                    select = f"rowid, {select}"
                self._inner_prefix[table] = f"select {select} from {_escape(table)} "
                self.facet_tables[table] = [c for c in self.facet_tables[table] if c in columns]

        async def _load_stored_counts(self) -> None:
            """The row counts and facet value counts the archive's triggers keep
            (an archive older than schema 7 has none: everything is counted)."""
            if COUNTS_TABLE not in await self.table_names():
                return
            rows = await super().execute(f"select table_name, column_name, value, n from {COUNTS_TABLE}")
            totals, facets = read_counts(rows.rows)
            for fts, content in FTS_CONTENT.items():  # same rows as their table, kept by triggers
                totals[fts] = totals[content]
            self.stored_totals = totals
            self.stored_facets = {
                key: sorted(counts.items(), key=lambda vc: (-vc[1], _sqlite_order(vc[0])))
                for key, counts in facets.items()
            }

        async def table_counts(self, limit=10):
            """Datasette's count of every table, from the stored counts where the archive
            has them; the small bookkeeping tables (FTS segments, migrations) are counted,
            each within UNCOUNTED_LIMIT_MS (None if slower: shown as "many rows")."""
            if self._cached_table_counts is not None and self.cache_valid():
                return self._cached_table_counts
            await self.prepare()
            if not self.stored_totals or not self.cache_valid():
                return await super().table_counts(limit)
            counts = {}
            for table in await self.table_names():
                if table in self.stored_totals:
                    counts[table] = self.stored_totals[table]
                    continue
                try:
                    results = await super().execute(f"select count(*) from [{table}]",
                                                    custom_time_limit=UNCOUNTED_LIMIT_MS)
                    counts[table] = results.rows[0][0]
                except (QueryInterrupted, sqlite3.DatabaseError):
                    counts[table] = None
            self._cached_table_counts = counts
            return counts

        async def _group(self, table, where, frozen, params):
            """Row count and every metadata facet of `table` filtered by `where`, from one
            GROUP BY pass (cached)."""
            columns = self.facet_tables.get(table)
            if not columns:
                return None
            key = ("group", table, where, frozen)
            cached = self._get(key)
            if cached is not None:
                self.stats["hits"] += 1
                return cached or None  # {}: this pass failed before (too slow), use the plain queries
            cols = ", ".join(_escape(c) for c in columns)
            sql = f"select {cols}, count(*) from {_escape(table)} {where} group by {cols}"
            try:
                results = await super().execute(
                    sql,
                    params=params,
                    # it replaces the count (sql_time_limit_ms) and every facet (facet_time_limit_ms
                    # each): the page's budget, not one facet's
                    custom_time_limit=self.ds.setting("sql_time_limit_ms"),
                    log_sql_errors=False,  # the plain queries that follow report it
                )
            except (QueryInterrupted, sqlite3.DatabaseError):
                self.stats["group_failed"] += 1
                self._put(key, {})
                return None
            self.stats["misses"] += 1
            total = 0
            counters = {c: Counter() for c in columns}
            for row in results.rows:
                n = row[-1]
                total += n
                for i, c in enumerate(columns):
                    if row[i] is not None:
                        counters[c][row[i]] += n
            group = {
                "total": total,
                "facets": {
                    c: sorted(counter.items(), key=lambda vc: (-vc[1], _sqlite_order(vc[0])))
                    for c, counter in counters.items()
                },
            }
            self._put(key, group)
            return group

    return ArchiveDatabase


def _facet_tables(metadata: dict, name: str) -> dict[str, list[str]]:
    tables = ((metadata.get("databases") or {}).get(name) or {}).get("tables") or {}
    return {
        table: [f for f in conf["facets"] if isinstance(f, str)]
        for table, conf in tables.items()
        if conf and any(isinstance(f, str) for f in conf.get("facets") or ())
    }


def register_plugin() -> None:
    """The plugin is registered by its entry point when nianbao is installed; a checkout
    run without installing (PYTHONPATH=.) registers it here, once."""
    from datasette.plugins import pm

    if not pm.is_registered(plugin) and pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)


def make_datasette(path: str | Path, *, cache: bool = True, **settings):
    """A Datasette serving one archive file immutably; raises ArchiveError for a non-archive.
    cache=False: Datasette's own database class, every count and facet computed per request."""
    from datasette.app import Datasette

    path = check_archive_file(path)
    fold_wal(path)
    register_plugin()
    metadata = load_metadata(path.stem)
    ds = Datasette(
        immutables=[str(path)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        settings={**SETTINGS, **settings},
    )
    if not cache:
        return ds
    name = next(iter(ds.databases.keys() - {"_internal"}), path.stem)
    route = ds.databases[name].route
    ds.remove_database(name)
    db = _database_class()(ds, path, _facet_tables(metadata, name))
    ds.add_database(db, name=name, route=route)
    return ds


def archive_databases(ds):
    return [db for db in ds.databases.values() if hasattr(db, "facet_tables")]


async def warm_site(ds) -> dict[str, float]:
    """Do now what the first visitors would otherwise wait for: Datasette's count of every
    table of the immutable file (its first-request hook) and the default pages' counts and
    facets (each faceted table unfiltered, the home and database pages), pinned in the cache.
    Returns seconds per step."""
    timings = {}
    start = time.perf_counter()
    await ds.invoke_startup()
    for db in archive_databases(ds):
        await db.table_counts(limit=WARM_LIMIT_MS)  # what Datasette's first request runs
        timings["table_counts"] = time.perf_counter() - start
        start = time.perf_counter()
        await db.prepare()
        db.warming = True
        try:
            paths = ["/", f"/{db.route}"] + [f"/{db.route}/{t}" for t in db.facet_tables]
            for path in paths:
                await ds.client.get(path)
        finally:
            db.warming = False
        timings["default_pages"] = time.perf_counter() - start
    return timings


def warm_site_sync(ds) -> dict[str, float]:
    return asyncio.run(warm_site(ds))
