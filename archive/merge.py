"""Merge shard archives (one per crawl job) into one archive.

A multi-node crawl writes one archive per scrapyd job; `merge_archives` folds
them into one file so that it equals the archive a single-node crawl of the
same web would have written. Each shard snapshot goes through the one storing
path, archive.document.store_document, as if it were fetched again:

- its blob is read and re-hashed: bytes that do not hash to the blob's name
  (forged or damaged) refuse the whole shard with one line, before its
  transaction commits;
- the snapshot and all its sightings are stored (same URL and bytes: one row);
- instead of parsing, the shard's rows for that snapshot (its report, sections,
  cells, checks, problems, or its "not a report" problems) are saved by
  save_report, which decides which document a report keeps exactly as for a
  crawl: the body's own site first, then the document seen last;
- cross-year checks and totals are recomputed by save_report as it goes;
- a shard's frozen report readings (pinned citations, archive/versions.py) are
  copied; save_report freezes the destination's reading before replacing it;
- crawl runs, site statuses and the fetch log are unioned (a row already
  present keeps its values); the `sites` rows of one slug keep the one seen
  last (archive/sites.py).

Snapshots are taken in fetch order. Merging a shard twice, or the shards in
another order, changes nothing. Each shard is merged in one transaction; every
input is checked before the first write, so bad input leaves the destination
untouched (or uncreated).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

from . import crossyear
from .document import Document, store_document
from .schema import SCHEMA_VERSION
from .sites import merge_sites
from .store import ArchiveError, ReportRows, check_archive_file, open_archive, read_only_column, transaction

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
            return _merge_attached(db, shard)
    finally:
        conn.execute("DETACH DATABASE shard")


COUNTED_TABLES = ("blobs", "snapshots", "sightings")


def _merge_attached(db, shard: Path) -> dict:
    conn: sqlite3.Connection = db.conn
    before = {t: conn.execute(f"SELECT count(*) FROM main.[{t}]").fetchone()[0] for t in COUNTED_TABLES}
    counts = {"reports_new": 0, "reports_replaced": 0}
    snapshots = conn.execute("SELECT id, url, sha256, fetched_at, status, headers, content_type, site, site_code"
                             " FROM shard.snapshots ORDER BY fetched_at, id").fetchall()
    for sid, url, sha, fetched_at, status, headers, content_type, site, site_code in snapshots:
        doc = Document(url=url, body=_blob(conn, shard, sha, url), fetched_at=fetched_at, site=site,
                       site_code=site_code, status=status, headers=json.loads(headers or "{}"),
                       content_type=content_type, seen=_sightings(conn, sid))
        rows = _rows(conn, sid)
        rid = rows.report["id"] if rows is not None and rows.report is not None else None
        was = _current(conn, rid)
        store_document(db, doc, parse=lambda _doc, rows=rows: rows)
        if rid is not None and was != sid and _current(conn, rid) == sid:
            counts["reports_replaced" if was is not None else "reports_new"] += 1
    for t in COUNTED_TABLES:
        counts[f"{t}_new"] = conn.execute(f"SELECT count(*) FROM main.[{t}]").fetchone()[0] - before[t]
    if _has_table(conn, "shard", "report_versions"):
        _copy(conn, "report_versions")  # the shard's pinned readings (save_report froze the destination's)
    counts["crawl_runs_new"] = _copy(conn, "crawl_runs")
    for table in RUN_TABLES:
        if _has_table(conn, "shard", table):
            _copy(conn, table)
    counts["sites_changed"] = merge_sites(conn)
    return counts


def _blob(conn: sqlite3.Connection, shard: Path, sha: str, url: str) -> bytes:
    """The snapshot's bytes, re-hashed: ArchiveError when they are not what the shard says."""
    row = conn.execute("SELECT encoding, data FROM shard.blobs WHERE sha256 = ?", (sha,)).fetchone()
    try:
        if row is None or row[0] != "zlib":
            raise ValueError("missing" if row is None else f"unknown encoding {row[0]!r}")
        body = zlib.decompress(row[1])
    except (ValueError, zlib.error, TypeError) as exc:
        raise ArchiveError(f"{shard}: the blob of {url} is unreadable ({exc}): shard refused") from None
    if hashlib.sha256(body).hexdigest() != sha:
        raise ArchiveError(f"{shard}: the blob of {url} does not hash to its name {sha[:16]}… (forged or damaged):"
                           " shard refused, nothing merged from it")
    return body


def _sightings(conn: sqlite3.Connection, sid: str) -> tuple:
    return tuple(conn.execute("SELECT seen_at, status, headers FROM shard.sightings WHERE snapshot_id = ?"
                              " ORDER BY seen_at", (sid,)).fetchall())


def _current(conn: sqlite3.Connection, rid: str | None) -> str | None:
    if rid is None:
        return None
    row = conn.execute("SELECT snapshot_id FROM main.reports WHERE id = ?", (rid,)).fetchone()
    return row[0] if row else None


def _dicts(conn: sqlite3.Connection, sql: str, args: tuple) -> list[dict]:
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _rows(conn: sqlite3.Connection, sid: str) -> ReportRows | None:
    """What the shard archived from this snapshot, as save_report's rows (None: nothing)."""
    reports = _dicts(conn, "SELECT * FROM shard.reports WHERE snapshot_id = ?", (sid,))
    if not reports:
        problems = _dicts(conn, "SELECT * FROM shard.problems WHERE snapshot_id = ? AND report_id IS NULL", (sid,))
        return ReportRows(None, problems=problems) if problems else None
    report = reports[0]
    rid = (report["id"],)
    body = _dicts(conn, "SELECT * FROM shard.bodies WHERE id = ?", (report["body_id"],))[0]
    outcome = _dicts(conn, "SELECT * FROM shard.report_outcomes WHERE report_id = ?", rid)
    return ReportRows(
        report, body,
        sections=_dicts(conn, "SELECT * FROM shard.sections WHERE report_id = ?", rid),
        cells=_dicts(conn, "SELECT * FROM shard.cells WHERE report_id = ?", rid),
        # cross-year checks are recomputed over the merged archive by save_report
        checks=_dicts(conn, "SELECT * FROM shard.checks WHERE report_id = ? AND rule != ?",
                      (*rid, crossyear.CROSS_YEAR_RULE)),
        problems=_dicts(conn, "SELECT * FROM shard.problems WHERE report_id = ?", rid),
        outcome=outcome[0] if outcome else None)


def _has_table(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?",
                        (table,)).fetchone() is not None


def _create_missing_run_tables(conn: sqlite3.Connection) -> None:
    for table in RUN_TABLES:
        if _has_table(conn, "shard", table) and not _has_table(conn, "main", table):
            for (sql,) in conn.execute("SELECT sql FROM shard.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
                                       " ORDER BY type = 'index'", (table,)).fetchall():
                conn.execute(sql)
