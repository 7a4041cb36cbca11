"""Writing to the archive: the interface the crawler, the CLI and the sandbox call.

Every save runs in one transaction (BEGIN IMMEDIATE ... COMMIT), so a crash
leaves nothing half-written. The connection is in autocommit mode
(isolation_level=None) and transactions are explicit; sqlite-utils' own
insert helpers are not used for writes because they commit on their own.
"""

from __future__ import annotations

import json
import operator
import sqlite3
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime
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
    conn.execute("PRAGMA busy_timeout=10000")
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
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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
) -> tuple[str, bool]:
    """Record one fetch. Same URL and bytes as before: a sighting, (id, False)."""
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
            conn.execute(
                "INSERT INTO snapshots (id, url, sha256, size, fetched_at, status, headers, content_type,"
                " etag, last_modified, site) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    url,
                    sha,
                    len(body),
                    fetched_at,
                    status,
                    headers_text,
                    lower.get("content-type"),
                    lower.get("etag"),
                    lower.get("last-modified"),
                    site,
                ),
            )
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


def _last_seen(conn: sqlite3.Connection, snapshot_id: str | None) -> tuple[str, str]:
    if snapshot_id is None:
        return ("", "")
    row = conn.execute("SELECT max(seen_at) FROM sightings WHERE snapshot_id = ?", (snapshot_id,)).fetchone()
    return (row[0] or "", snapshot_id)


# --- reports --------------------------------------------------------------------------


def is_report(record: dict) -> bool:
    """A report year, and either an issuing body or at least one table."""
    if record.get("year") is None:
        return False
    return R.body_name(record) is not None or any((record.get("tables") or {}).values())


def save_report(
    db: sqlite_utils.Database, record: dict, *, snapshot_id: str | None, url: str | None
) -> str | None:
    """Upsert a parsed record; return the report permalink, or None for a non-report."""
    if not is_report(record):
        if snapshot_id is not None:
            problems = [
                "not a report: no report year, or neither issuing body nor tables found",
                *(record.get("problems") or []),
            ]
            with transaction(db) as conn:
                insert_rows(
                    conn, "problems", R.problem_rows(problems, snapshot=snapshot_id), verb="INSERT OR IGNORE"
                )
        return None
    body = R.body_row(R.body_name(record), url=url or record.get("source"))
    report = R.report_row(record, body, snapshot_id=snapshot_id, url=url)
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
            if snapshot_id is not None and _last_seen(conn, snapshot_id) < _last_seen(conn, current[0]):
                return rid  # an older document of this body and year: the report keeps the newer one
            versions.freeze(conn, rid)  # the reading its pinned citations point at, before it changes
        upsert_row(conn, "bodies", body)
        upsert_row(conn, "reports", report)
        for table in ("sections", "checks", "problems", "report_outcomes"):
            conn.execute(f"DELETE FROM {table} WHERE report_id = ?", (rid,))
        conn.execute("DELETE FROM cells WHERE report_id = ?", (rid,))
        insert_rows(conn, "sections", R.section_rows(record, rid))
        insert_rows(conn, "cells", R.cell_rows(record, rid))
        insert_rows(conn, "checks", R.check_rows(record, rid))
        insert_rows(conn, "problems", R.problem_rows(record.get("problems") or [], report=rid))
        outcome = R.outcome_row(record, report)
        if outcome:
            insert_rows(conn, "report_outcomes", [outcome])
        crossyear.refresh_body_year(conn, body["id"], report["year"])
        stale = {(report["province_code"], report["year"])}
        if current is not None:
            stale.add((current[3], current[4]))
        for province_code, year in stale:
            crossyear.refresh_province_year(conn, province_code, year)
    return rid


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


# --- ingest ---------------------------------------------------------------------------


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*")) if f.is_file() and not f.name.startswith("."))
        else:
            out.append(p)
    return out


def file_url(path: Path) -> str:
    """A machine-independent identifier: the parent folder's name and the file name."""
    return f"file:{path.parent.name}/{path.name}" if path.parent.name else f"file:{path.name}"


def ingest_paths(db: sqlite_utils.Database, paths: Iterable[str | Path]) -> dict:
    """Parse and store local files/folders. Counts: files, snapshots_new, reports,
    not_reports, rejected (with reasons in 'errors')."""
    import parsers

    counts = {"files": 0, "snapshots_new": 0, "reports": 0, "not_reports": 0, "rejected": 0, "errors": []}
    for path in _files(paths):
        counts["files"] += 1
        try:
            record = parsers.parse_path_bounded(path)  # within time and memory limits
        except parsers.InputError as exc:
            counts["rejected"] += 1
            counts["errors"].append(f"{path}: {exc}")
            continue
        except Exception as exc:  # a parser bug on one file must not stop a batch of thousands
            counts["rejected"] += 1
            counts["errors"].append(f"{path}: parser error {type(exc).__name__}: {exc}")
            continue
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = file_url(path)
        sid, created = save_snapshot(db, url=url, body=path.read_bytes(), fetched_at=mtime, site="file")
        counts["snapshots_new"] += int(created)
        rid = save_report(db, record, snapshot_id=sid, url=url)
        counts["reports" if rid else "not_reports"] += 1
    return counts


def checkpoint(db: sqlite_utils.Database) -> None:
    """Fold the WAL into the main file so an immutable reader (Datasette -i) sees everything."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
