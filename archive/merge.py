"""Merge shard archives (one per crawl job) into one archive.

A multi-node crawl writes one archive per scrapyd job; `merge_archives` folds
them into one file so that it equals the archive a single-node crawl of the
same web would have written:

- every primary key is a permalink computed from content (archive/permalinks.py),
  so rows are copied by key: the same snapshot, body or report from two shards
  is one row;
- blobs dedupe by sha256, snapshots by (URL, sha256), sightings are unioned;
- a report found in two shards (the same body and year) keeps the document
  `save_report` would keep: the snapshot seen last (ties: the greater snapshot id),
  with that shard's sections, cells, checks and problems;
- derived rows that span reports are recomputed the way `save_report` does:
  cross-year checks and check summaries (archive/crossyear.py), and the
  per-province-per-year outcome totals;
- crawl runs and site statuses are unioned (a run id already present keeps its row);
  the `sites` rows of one slug keep the one seen last (archive/sites.py).

Merging a shard twice, or the shards in another order, changes nothing.
Each shard is merged in one transaction; every input is checked before the
first write, so bad input leaves the destination untouched (or uncreated).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import crossyear, versions
from .schema import SCHEMA_VERSION
from .sites import merge_sites
from .store import ArchiveError, check_archive_file, open_archive, read_only_column, transaction

# Rows hanging off a report, replaced together with it.
REPORT_CHILDREN = ("sections", "cells", "checks", "problems", "report_outcomes")
# Rows of a crawl run, unioned.
RUN_TABLES = ("site_status", "fetch_log")


def check_shard(path: str | Path) -> Path:
    """An existing archive with exactly this nianbao's schema (never writes to it)."""
    path = check_archive_file(path)
    versions = read_only_column(path, "SELECT version FROM schema_migrations", "has an unreadable schema_migrations")
    version = max(versions, default=0)
    if version != SCHEMA_VERSION:
        raise ArchiveError(f"{path} has schema version {version}, this nianbao writes {SCHEMA_VERSION}"
                           " (open it with the same nianbao version before merging)")
    return path


def check_inputs(dest: str | Path, shards: list[str | Path]) -> tuple[Path, list[Path]]:
    """Validate everything before anything is written: ArchiveError with one line otherwise."""
    if not shards:
        raise ArchiveError("no shard archives given")
    dest = Path(dest)
    if dest.is_dir():
        raise ArchiveError(f"{dest} is a directory, not an archive")
    if dest.exists() and dest.stat().st_size > 0:
        check_archive_file(dest)
    checked = [check_shard(s) for s in shards]
    for shard in checked:
        if dest.exists() and shard.resolve() == dest.resolve():
            raise ArchiveError(f"{shard} is the destination archive itself")
    return dest, checked


def merge_archives(dest: str | Path, shards: list[str | Path]) -> dict:
    """Merge every shard into dest (created if missing). Returns counts summed over shards."""
    dest, checked = check_inputs(dest, shards)
    db = open_archive(dest)
    totals: dict[str, int] = {}
    try:
        for shard in checked:
            for key, n in merge_shard(db, shard).items():
                totals[key] = totals.get(key, 0) + n
    finally:
        db.conn.close()
    totals["shards"] = len(checked)
    return totals


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA main.table_info([{table}])")]


def _copy(conn: sqlite3.Connection, table: str, where: str = "", verb: str = "INSERT OR IGNORE") -> int:
    cols = ", ".join(f"[{c}]" for c in _columns(conn, table))
    before = conn.total_changes
    conn.execute(f"{verb} INTO main.[{table}] ({cols}) SELECT {cols} FROM shard.[{table}] {where}")
    return conn.total_changes - before


def merge_shard(db, shard: Path) -> dict:
    conn: sqlite3.Connection = db.conn
    # ATTACH is refused inside a transaction, so the shard is attached around it.
    conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
    try:
        _create_missing_run_tables(conn)
        with transaction(db):
            return _merge_attached(conn)
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.incoming")
        conn.execute("DETACH DATABASE shard")


def _merge_attached(conn: sqlite3.Connection) -> dict:
    counts = {
        "blobs_new": _copy(conn, "blobs"),
        "snapshots_new": _copy(conn, "snapshots"),
        "sightings_new": _copy(conn, "sightings"),
    }
    _copy(conn, "problems", "WHERE report_id IS NULL")  # verdicts on snapshots that are not reports
    _copy(conn, "bodies")

    # The reports this shard supplies: new ones, and those whose document was seen
    # later than the one the destination holds (save_report's rule, on the merged sightings).
    conn.execute("DROP TABLE IF EXISTS temp.incoming")
    conn.execute("""
        CREATE TEMP TABLE incoming AS
        SELECT s.id, s.body_id, s.year, s.province_code, m.id IS NOT NULL AS replaces,
               m.province_code AS old_province_code, m.year AS old_year
        FROM shard.reports s LEFT JOIN main.reports m ON m.id = s.id
        WHERE m.id IS NULL OR (
            s.snapshot_id IS NOT m.snapshot_id AND
            (coalesce((SELECT max(seen_at) FROM main.sightings WHERE snapshot_id = s.snapshot_id), ''),
             coalesce(s.snapshot_id, ''))
            > (coalesce((SELECT max(seen_at) FROM main.sightings WHERE snapshot_id = m.snapshot_id), ''),
               coalesce(m.snapshot_id, '')))""")
    conn.execute("CREATE INDEX temp.incoming_id ON incoming(id)")
    ids = "(SELECT id FROM temp.incoming)"
    for (rid,) in conn.execute("SELECT id FROM temp.incoming WHERE replaces").fetchall():
        versions.freeze(conn, rid)  # as save_report does: pinned citations keep the replaced reading
    if _has_table(conn, "shard", "report_versions"):
        _copy(conn, "report_versions")
    for table in REPORT_CHILDREN:
        conn.execute(f"DELETE FROM main.[{table}] WHERE report_id IN {ids}")
    cols = _columns(conn, "reports")
    names = ", ".join(f"[{c}]" for c in cols)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c != "id")
    # An in-place upsert keeps the report's rowid, so reports_fts stays aligned (as in save_report).
    conn.execute(f"INSERT INTO main.reports ({names}) SELECT {names} FROM shard.reports WHERE id IN {ids}"
                 f" ON CONFLICT (id) DO UPDATE SET {updates}")
    for table in REPORT_CHILDREN:
        where = f"WHERE report_id IN {ids}"
        if table == "checks":
            where += f" AND rule != '{crossyear.CROSS_YEAR_RULE}'"  # recomputed below over all shards
        _copy(conn, table, where, verb="INSERT")

    incoming = conn.execute(
        "SELECT body_id, year, province_code, replaces, old_province_code, old_year FROM temp.incoming"
        " ORDER BY body_id, year").fetchall()
    for body_id, year, *_ in incoming:
        crossyear.refresh_body_year(conn, body_id, year)
    stale = {(code, year) for _b, year, code, *_ in incoming}
    stale |= {(old_code, old_year) for *_, replaces, old_code, old_year in incoming if replaces}
    for code, year in sorted(stale, key=lambda k: (k[0] or "", k[1])):
        crossyear.refresh_province_year(conn, code, year)
    counts["reports_new"] = sum(1 for row in incoming if not row[3])
    counts["reports_replaced"] = sum(1 for row in incoming if row[3])
    counts["crawl_runs_new"] = _copy(conn, "crawl_runs")
    for table in RUN_TABLES:
        if _has_table(conn, "shard", table):
            _copy(conn, table)
    counts["sites_changed"] = merge_sites(conn)
    return counts


def _has_table(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?",
                        (table,)).fetchone() is not None


def _create_missing_run_tables(conn: sqlite3.Connection) -> None:
    for table in RUN_TABLES:
        if _has_table(conn, "shard", table) and not _has_table(conn, "main", table):
            for (sql,) in conn.execute("SELECT sql FROM shard.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
                                       " ORDER BY type = 'index'", (table,)).fetchall():
                conn.execute(sql)
