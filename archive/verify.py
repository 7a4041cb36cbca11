"""Re-verify an archive file: SQLite integrity, and every snapshot's bytes against its sha256.

Read-only (the file is opened with mode=ro), so it is safe on a live archive
or a copy taken after a crash. Each blob is decompressed and re-hashed; each
snapshot must point at a blob of its own size and id (`{sha256[:16]}-{url8}`);
reports must point at existing snapshots; the stored row and facet counts
(`row_counts`, kept by triggers) must equal count(*) and GROUP BY. Anything
else is a `problem`.

    result = verify_archive("nianbao.db")
    result.ok, result.snapshots, result.problems
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .permalinks import snapshot_id
from .schema import COUNTED, COUNTS_TABLE, read_counts
from .store import check_archive_file


@dataclass
class VerifyResult:
    path: str
    integrity: str = ""
    blobs: int = 0
    snapshots: int = 0
    reports: int = 0
    bytes_hashed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.problems

    def summary(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"{self.path}: {verdict} — integrity {self.integrity}; {self.blobs} blobs "
                f"({self.bytes_hashed} bytes) re-hashed, {self.snapshots} snapshots, {self.reports} reports")


def verify_archive(path: str | Path) -> VerifyResult:
    """Check one archive; raises ArchiveError when the file is not a nianbao archive at all."""
    path = check_archive_file(path)
    result = VerifyResult(path=str(path))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        # One read transaction: every check sees the same snapshot of the file, so an
        # ingest committing meanwhile cannot make the counts disagree (WAL keeps it).
        conn.execute("BEGIN")
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        result.integrity = "; ".join(r[0] for r in rows[:5])
        result.problems += [f"foreign key: {table} row {rowid} -> {parent}"
                            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall()[:20]]
        _check_blobs(conn, result)
        _check_snapshots(conn, result)
        _check_reports(conn, result)
        result.problems += count_mismatches(conn)[:20]
    except sqlite3.DatabaseError as exc:  # a page so damaged that reading it fails
        result.problems.append(f"unreadable: {exc}")
    finally:
        conn.close()
    return result


def _check_blobs(conn: sqlite3.Connection, result: VerifyResult) -> None:
    for sha, size, encoding, data in conn.execute("SELECT sha256, size, encoding, data FROM blobs"):
        result.blobs += 1
        try:
            body = zlib.decompress(data) if encoding == "zlib" else bytes(data)
        except zlib.error as exc:
            result.problems.append(f"blob {sha}: does not decompress ({exc})")
            continue
        result.bytes_hashed += len(body)
        actual = hashlib.sha256(body).hexdigest()
        if actual != sha:
            result.problems.append(f"blob {sha}: bytes hash to {actual}")
        if len(body) != size:
            result.problems.append(f"blob {sha}: {len(body)} bytes, recorded {size}")


def _check_snapshots(conn: sqlite3.Connection, result: VerifyResult) -> None:
    rows = conn.execute("SELECT s.id, s.url, s.sha256, s.size, b.size FROM snapshots s"
                        " LEFT JOIN blobs b ON b.sha256 = s.sha256")
    for sid, url, sha, size, blob_size in rows:
        result.snapshots += 1
        if blob_size is None:
            result.problems.append(f"snapshot {sid}: its blob {sha} is missing")
        elif blob_size != size:
            result.problems.append(f"snapshot {sid}: size {size}, blob holds {blob_size}")
        if sid != snapshot_id(url, sha):
            result.problems.append(f"snapshot {sid}: id does not match its URL and sha256")


def _check_reports(conn: sqlite3.Connection, result: VerifyResult) -> None:
    result.reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    dangling = conn.execute("SELECT r.id FROM reports r LEFT JOIN snapshots s ON s.id = r.snapshot_id"
                            " WHERE r.snapshot_id IS NOT NULL AND s.id IS NULL LIMIT 20").fetchall()
    result.problems += [f"report {rid}: its snapshot is missing" for (rid,) in dangling]


def count_mismatches(conn: sqlite3.Connection) -> list[str]:
    """Where the stored counts (row_counts) differ from the rows: [] when exact.
    An archive older than the counts (schema < 7, not opened for writing since) has none."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (COUNTS_TABLE,)).fetchone():
        return []
    totals, facets = read_counts(conn.execute(f"SELECT table_name, column_name, value, n FROM {COUNTS_TABLE}"))
    out = []
    for table, columns in COUNTED.items():
        actual = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
        if totals[table] != actual:
            out.append(f"row count of {table}: stored {totals[table]}, actual {actual}")
        for c in columns:
            actual = dict(conn.execute(f"SELECT [{c}], count(*) FROM [{table}] WHERE [{c}] IS NOT NULL GROUP BY [{c}]"))
            if facets[table, c] != actual:
                out.append(f"counts of {table}.{c}: stored {facets[table, c]}, actual {actual}")
    return out
