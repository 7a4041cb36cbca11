"""Datasette's inspect data for an archive file: its size, hash and the row count of every
table (the format `datasette inspect` writes and `--inspect-file` reads).

Counts come from the archive's stored counts (`row_counts`, kept by triggers in the
same transaction as the rows, archive/schema.py) where the archive has them; the
other tables (full-text index segments, migrations …) are counted. publish.py writes
this once per published copy (INSPECT_FILE beside it), so that serving a copy of a
million reports starts without counting or hashing anything.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from archive.schema import COUNTS_TABLE, FTS_CONTENT, read_counts

INSPECT_FILE = "inspect-data.json"
HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_totals(conn: sqlite3.Connection) -> dict[str, int]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if COUNTS_TABLE not in names:  # an archive older than schema 7: everything is counted
        return {}
    totals, _ = read_counts(conn.execute(f"SELECT table_name, column_name, value, n FROM {COUNTS_TABLE}"))
    totals.update({fts: totals[content] for fts, content in FTS_CONTENT.items() if content in totals})
    return totals


def inspect_archive(path: str | Path) -> dict:
    """{"hash", "size", "file", "tables": {table: {"count": n}}} of an archive file that
    no one writes to (a published copy, or a test's fixture)."""
    path = Path(path)
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        known = stored_totals(conn)
        tables = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            n = known.get(table)
            if n is None:
                n = conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
            tables[table] = {"count": n}
    finally:
        conn.close()
    return {"hash": file_sha256(path), "size": path.stat().st_size, "file": str(path), "tables": tables}
