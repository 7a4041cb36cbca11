"""Writing to the archive: the interface the crawler, the CLI and the sandbox call.

Every save runs in one transaction (BEGIN IMMEDIATE ... COMMIT), so a crash
leaves nothing half-written. The connection is in autocommit mode
(isolation_level=None) and transactions are explicit; sqlite-utils' own
insert helpers are not used for writes because they commit on their own.
"""

from __future__ import annotations

import json
import operator
import os
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import crossyear, versions
from . import permalinks as pl
from . import rows as R
from .schema import MARKER_TABLE, SCHEMA_VERSION, applied_versions, apply_schema

SQLITE_MAGIC = b"SQLite format 3\x00"


class ArchiveError(Exception):
    """The file is missing, not SQLite, or not a nianbao archive (one-line reason)."""


def read_only_column(path: Path, sql: str, unreadable: str) -> set:
    """The first column of a query on a read-only connection; ArchiveError
    "<path> <unreadable> (<why>)" when SQLite cannot answer it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute(sql)}
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} {unreadable} ({exc})") from None
    finally:
        conn.close()


def check_archive_file(path: str | Path) -> Path:
    """Raise ArchiveError unless path is an existing nianbao archive; never writes."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}")
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise ArchiveError(f"{path} is not an SQLite database")
    names = read_only_column(path, "SELECT name FROM sqlite_master WHERE type='table'",
                             "is not a readable SQLite database")
    if MARKER_TABLE not in names or "reports" not in names:
        raise ArchiveError(f"{path} is an SQLite database but not a nianbao archive")
    return path


def open_archive(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (or create) an archive: WAL, foreign keys on, schema brought up to date."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise ArchiveError(f"no archive at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive")
    elif path.stat().st_size > 0:
        with open(path, "rb") as f:
            if f.read(16) != SQLITE_MAGIC:
                raise ArchiveError(f"{path} is not an SQLite database")
    conn = sqlite3.connect(str(path), isolation_level=None)
    # Before anything else: concurrent first opens wait for each other's schema writes.
    conn.execute("PRAGMA busy_timeout=10000")
    db = sqlite_utils.Database(conn)
    try:
        names = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"{path} is not a readable SQLite database ({exc})") from None
    if names and MARKER_TABLE not in names:
        conn.close()
        raise ArchiveError(f"{path} is an SQLite database but not a nianbao archive")
    newer = [v for v in applied_versions(db) if v > SCHEMA_VERSION]
    if newer:
        conn.close()
        raise ArchiveError(
            f"{path} has schema version {max(newer)}, newer than this nianbao ({SCHEMA_VERSION})"
        )
    conn.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit no longer waits for fsync (it was ~6 ms of every save, two
    # saves per fetched document: the crawl's top hot spot, docs/scale.md). The file stays
    # consistent; a power cut may lose the last commits, which a crawl re-fetches.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    apply_schema(db)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database):
    """One atomic unit; nests as a savepoint inside a caller's transaction."""
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT nianbao")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO nianbao")
            conn.execute("RELEASE nianbao")
            raise
        conn.execute("RELEASE nianbao")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (a full disk rolls back the transaction)
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def insert_rows(conn: sqlite3.Connection, table: str, rows: list[dict], *, verb: str = "INSERT") -> None:
    if not rows:
        return
    cols = list(rows[0])
    sql = f"{verb} INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
    values = operator.itemgetter(*cols)  # a tuple per row (one C call, not a generator per row)
    conn.executemany(sql, map(values, rows) if len(cols) > 1 else ((values(r),) for r in rows))


def upsert_row(conn: sqlite3.Connection, table: str, row: dict, pk: tuple[str, ...] = ("id",)) -> None:
    """INSERT or UPDATE in place (keeps the rowid, unlike REPLACE, so FTS stays aligned)."""
    cols = list(row)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c not in pk)
    conn.execute(
        f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}",
        [row[c] for c in cols],
    )


# --- snapshots ------------------------------------------------------------------------


# Response headers kept per snapshot and sighting. A server sends 10–20 headers of
# under 200 characters; a hostile one sent 20 MB (a 535-byte page made a 48 MB archive).
MAX_STORED_HEADERS = 64
MAX_HEADER_VALUE_CHARS = 2048
MAX_HEADERS_CHARS = 16 * 1024
HEADERS_CUT = "x-nianbao-headers-cut"  # the stored note saying what was cut
# Kept first: what the archive reads back (content type, validators) and what a reader needs.
KEY_HEADERS = ("content-type", "etag", "last-modified", "content-disposition", "content-length", "location")


def _headers_json(headers: dict | None) -> tuple[str, dict]:
    """The headers to store (names lower-cased) as JSON, and as a dict; cut to the bounds
    above, with a `x-nianbao-headers-cut` note of what was cut."""
    lower = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    lower.pop(HEADERS_CUT, None)  # only nianbao writes this name
    kept, chars, cut_values = {}, 0, 0
    for name in sorted(lower, key=lambda k: (k not in KEY_HEADERS, KEY_HEADERS.index(k) if k in KEY_HEADERS else 0)):
        value = lower[name]
        if len(value) > MAX_HEADER_VALUE_CHARS:
            value, cut_values = value[:MAX_HEADER_VALUE_CHARS], cut_values + 1
        if len(kept) >= MAX_STORED_HEADERS or chars + len(name) + len(value) > MAX_HEADERS_CHARS:
            continue
        name = name[:MAX_HEADER_VALUE_CHARS]
        kept[name] = value
        chars += len(name) + len(value)
    if len(kept) < len(lower) or cut_values:
        kept[HEADERS_CUT] = (f"kept {len(kept)} of {len(lower)} headers, {chars} of "
                             f"{sum(len(k) + len(v) for k, v in lower.items())} characters; "
                             f"{cut_values} values cut at {MAX_HEADER_VALUE_CHARS}")
    return json.dumps(kept, sort_keys=True, ensure_ascii=False), kept


def save_snapshot(
    db: sqlite_utils.Database,
    *,
    url: str,
    body: bytes,
    fetched_at: str,
    status: int = 200,
    headers: dict | None = None,
    site: str | None = None,
    site_code: str | None = None,
) -> tuple[str, bool]:
    """Record one fetch. Same URL and bytes as before: a sighting, (id, False).
    site_code: the division code of the site it came from (None: a local file, an ad-hoc URL)."""
    import hashlib

    sha = hashlib.sha256(body).hexdigest()
    sid = pl.snapshot_id(url, sha)
    headers_text, lower = _headers_json(headers)
    with transaction(db) as conn:
        exists = conn.execute("SELECT 1 FROM snapshots WHERE id = ?", (sid,)).fetchone() is not None
        if not exists:
            conn.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, encoding, data) VALUES (?, ?, 'zlib', ?)",
                (sha, len(body), zlib.compress(body, 6)),
            )
            row = {"id": sid, "url": url, "sha256": sha, "size": len(body), "fetched_at": fetched_at,
                   "status": status, "headers": headers_text, "content_type": lower.get("content-type"),
                   "etag": lower.get("etag"), "last_modified": lower.get("last-modified"), "site": site}
            if site_code is not None:  # (a column since migration 15)
                row["site_code"] = site_code
            insert_rows(conn, "snapshots", [row])
        conn.execute(
            "INSERT OR IGNORE INTO sightings (snapshot_id, seen_at, status, headers) VALUES (?, ?, ?, ?)",
            (sid, fetched_at, status, headers_text),
        )
    return sid, not exists


def latest_snapshot(db: sqlite_utils.Database, url: str) -> dict | None:
    """The most recently seen snapshot of url, for If-None-Match / If-Modified-Since."""
    row = db.execute(
        "SELECT s.id, s.sha256, s.etag, s.last_modified, g.seen_at, g.headers FROM sightings g"
        " JOIN snapshots s ON s.id = g.snapshot_id WHERE s.url = ?"
        " ORDER BY g.seen_at DESC, s.id DESC LIMIT 1",
        (url,),
    ).fetchone()
    if row is None:
        return None
    seen_headers = json.loads(row[5] or "{}")
    return {
        "id": row[0],
        "sha256": row[1],
        "etag": seen_headers.get("etag", row[2]),
        "last_modified": seen_headers.get("last-modified", row[3]),
        "fetched_at": row[4],
    }


def read_snapshot_body(db: sqlite_utils.Database, snapshot_id: str) -> bytes:
    row = db.execute(
        "SELECT b.data FROM snapshots s JOIN blobs b ON b.sha256 = s.sha256 WHERE s.id = ?", (snapshot_id,)
    ).fetchone()
    if row is None:
        raise KeyError(snapshot_id)
    return zlib.decompress(row[0])


# --- reports --------------------------------------------------------------------------


def is_storable(record: dict) -> bool:
    """Whether a parsed record can be kept as a report row: a report year, and either an
    issuing body or at least one table. (Whether a document is an annual report at all —
    not news about one — the parser decides: parsers.document.is_report.)"""
    if record.get("year") is None:
        return False
    return R.body_name(record) is not None or any((record.get("tables") or {}).values())


NOT_A_REPORT = "not a report: no report year, or neither issuing body nor tables found"


@dataclass
class ReportRows:
    """What one document says, as archive rows: a report and the rows hanging off it, or
    (report None) the problems of a snapshot that is not a report. Built from a parsed
    record (`report_rows`), or read from a shard archive by merge (archive/merge.py)."""

    report: dict | None
    body: dict | None = None
    sections: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    outcome: dict | None = None


def report_rows(record: dict, *, snapshot_id: str | None, url: str | None) -> ReportRows:
    if not is_storable(record):
        problems = [NOT_A_REPORT, *(record.get("problems") or [])]
        return ReportRows(None, problems=R.problem_rows(problems, snapshot=snapshot_id) if snapshot_id else [])
    body = R.body_row(R.body_name(record), url=url or record.get("source"))
    report = R.report_row(record, body, snapshot_id=snapshot_id, url=url)
    rid = report["id"]
    return ReportRows(report, body, R.section_rows(record, rid), R.cell_rows(record, rid), R.check_rows(record, rid),
                      R.problem_rows(record.get("problems") or [], report=rid), R.outcome_row(record, report))


def source_rank(site_code: str | None, body: dict) -> int:
    """How much a document's site speaks for a body: 2 the body's own division's site,
    1 a site of a division above it (a city portal carrying its counties), 0 elsewhere
    (another division, a local file, an ad-hoc URL)."""
    own = body.get("county_code") or body.get("city_code") or body.get("province_code")
    if not site_code or not own:
        return 0
    if site_code == own:
        return 2
    return 1 if own.startswith(site_code) else 0


def _standing(conn: sqlite3.Connection, snapshot_id: str | None, body: dict) -> tuple[int, str, str]:
    """(source rank, last fetch time, id) of a report's document: the greater wins.
    Fetch times are the crawl's or ingest's clock, never a file's modification time."""
    if snapshot_id is None:
        return (0, "", "")
    row = conn.execute("SELECT s.site_code, (SELECT max(seen_at) FROM sightings WHERE snapshot_id = s.id)"
                       " FROM snapshots s WHERE s.id = ?", (snapshot_id,)).fetchone()
    if row is None:
        return (0, "", snapshot_id)
    return (source_rank(row[0], body), row[1] or "", snapshot_id)


def save_report(
    db: sqlite_utils.Database, record: dict | ReportRows, *, snapshot_id: str | None, url: str | None
) -> str | None:
    """Upsert a parsed record (or its rows); return the report permalink, or None for a non-report.

    A report keeps one current document: the one from the body's own site first, then
    the one fetched last (`_standing`). A document that loses to one from a site
    closer to the body is kept as a snapshot and flagged as a copy (a problem on it)."""
    rows = record if isinstance(record, ReportRows) else report_rows(record, snapshot_id=snapshot_id, url=url)
    if rows.report is None:
        if rows.problems:
            with transaction(db) as conn:
                insert_rows(conn, "problems", rows.problems, verb="INSERT OR IGNORE")
        return None
    body, report = rows.body, rows.report
    rid = report["id"]
    with transaction(db) as conn:
        current = conn.execute(
            "SELECT snapshot_id, record_sha256, source_url, province_code, year FROM reports WHERE id = ?",
            (rid,),
        ).fetchone()
        if current is not None:
            if (current[0], current[1], current[2]) == (
                snapshot_id,
                report["record_sha256"],
                report["source_url"],
            ):
                return rid  # nothing new: re-ingest is a no-op
            new, old = _standing(conn, snapshot_id, body), _standing(conn, current[0], body)
            if snapshot_id is not None and new < old:
                if new[0] < old[0]:
                    _flag(conn, snapshot_id, COPY_PROBLEM, rid, body)
                return rid  # an older document, or one from farther away: the report keeps its own
            versions.freeze(conn, rid)  # the reading its pinned citations point at, before it changes
        if snapshot_id is not None and _foreign(conn, snapshot_id, body):
            _flag(conn, snapshot_id, FOREIGN_PROBLEM, rid, body)
        upsert_row(conn, "bodies", body)
        upsert_row(conn, "reports", report)
        for table in ("sections", "checks", "problems", "report_outcomes"):
            conn.execute(f"DELETE FROM {table} WHERE report_id = ?", (rid,))
        conn.execute("DELETE FROM cells WHERE report_id = ?", (rid,))
        insert_rows(conn, "sections", rows.sections)
        insert_rows(conn, "cells", rows.cells)
        insert_rows(conn, "checks", rows.checks)
        insert_rows(conn, "problems", rows.problems)
        if rows.outcome:
            insert_rows(conn, "report_outcomes", [rows.outcome])
        crossyear.refresh_body_year(conn, body["id"], report["year"])
        stale = {(report["province_code"], report["year"])}
        if current is not None:
            stale.add((current[3], current[4]))
        for province_code, year in stale:
            crossyear.refresh_province_year(conn, province_code, year)
    return rid


COPY_PROBLEM = "copy: claims report {rid} of {body}, from a site that is not the body's own; kept, not current"
FOREIGN_PROBLEM = ("from another division's site: report {rid} of {body} has no document from the body's own"
                   " site yet; one from there will replace it")


def _foreign(conn: sqlite3.Connection, snapshot_id: str, body: dict) -> bool:
    """From a registered site of a division that is neither the body's nor above it."""
    row = conn.execute("SELECT site_code FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    own = body.get("county_code") or body.get("city_code") or body.get("province_code")
    return bool(row and row[0] and own) and source_rank(row[0], body) == 0


def _flag(conn: sqlite3.Connection, snapshot_id: str, text: str, rid: str, body: dict) -> None:
    """A problem on the document's snapshot (the report's own problems are the parse's)."""
    row = R.problem_rows([text.format(rid=rid, body=body["name"])], snapshot=snapshot_id)[0]
    insert_rows(conn, "problems", [{**row, "id": pl.problem_id(snapshot_id, 1000)}], verb="INSERT OR REPLACE")


# --- crawl runs -----------------------------------------------------------------------

SITE_STATUSES = ("ok", "not_found", "robots_disallowed", "blocked", "no_reports", "error")


def start_crawl_run(db: sqlite_utils.Database, *, province: str, started_at: str) -> str:
    compact = started_at.replace("-", "").replace(":", "").replace("+0000", "Z").replace("+00:00", "Z")
    code = R.place(province).province_code or pl.normalise_body_name(province).encode().hex()[:8]
    run_id = f"run-{code}-{compact.split('.')[0]}"
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO crawl_runs (id, province, started_at) VALUES (?, ?, ?)",
            (run_id, province, started_at),
        )
    return run_id


def save_site_status(
    db,
    *,
    run_id: str,
    site: str,
    status: str,
    pages: int = 0,
    reports: int = 0,
    errors: int = 0,
    detail: str = "",
) -> None:
    if status not in SITE_STATUSES:
        raise ValueError(f"site status must be one of {', '.join(SITE_STATUSES)}, not {status!r}")
    row = {
        "run_id": run_id,
        "site": site,
        "status": status,
        "pages": pages,
        "reports": reports,
        "errors": errors,
        "detail": detail,
    }
    with transaction(db) as conn:
        upsert_row(conn, "site_status", row, pk=("run_id", "site"))


def finish_crawl_run(db: sqlite_utils.Database, run_id: str, *, finished_at: str, stats: dict) -> None:
    with transaction(db) as conn:
        conn.execute(
            "UPDATE crawl_runs SET finished_at = ?, stats = ? WHERE id = ?",
            (finished_at, json.dumps(stats, sort_keys=True, ensure_ascii=False), run_id),
        )


MB = 1 << 20
MIN_FREE_MB = 64  # what a writer leaves free: see low_space


def low_space(db: str | Path, jobdir: str | Path | None = None, min_free_mb: float = MIN_FREE_MB) -> str | None:
    """A one-line reason when the archive's disk (or a crawl's JOBDIR's) has too little room
    to store another document and still close cleanly, else None.

    Closing folds the WAL back into the archive, which needs room as large as the WAL;
    a writer that meets a full disk leaves a WAL it cannot fold (and a crawl, a resume
    state half written). So writers stop while min_free_mb plus the WAL are still free."""
    db_path = Path(db).resolve()
    wal = Path(f"{db_path}-wal")
    need = min_free_mb * MB + (wal.stat().st_size if wal.exists() else 0)
    for folder in {db_path.parent, *([Path(jobdir)] if jobdir else [])}:
        try:
            fs = os.statvfs(folder if folder.exists() else folder.parent)
        except OSError:
            continue
        free = fs.f_bavail * fs.f_frsize
        if free < need:
            return (f"cannot write the archive: the disk of {folder} is nearly full ({free / MB:.1f} MB free;"
                    f" a writer keeps {min_free_mb:g} MB plus the archive's WAL, {need / MB:.1f} MB, to close"
                    " cleanly)")
    return None


def checkpoint(db: sqlite_utils.Database) -> None:
    """Fold the WAL into the main file so an immutable reader (Datasette -i) sees everything."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
