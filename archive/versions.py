"""Pinned citations: a report as it read at one snapshot, never changed afterwards.

A report's rows (reports, cells, checks) are derived data that `save_report` replaces
when a newer snapshot or a better parse arrives. Just before they are replaced, the
rows as they were are frozen into `report_versions` under (report, the snapshot they
were read from), append-only (archive/schema.py, migration 11). So the reading of
(report, snapshot) is either frozen there, or it is still the report's current rows
(its snapshot_id is that snapshot and nothing replaced them yet): either way the value
at a pinned URL never changes. Nothing is stored for a report until it changes.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import UTC, datetime

REPORT_COLUMNS = ("id", "body_id", "year", "title", "organization", "level", "province", "province_code",
                  "city", "city_code", "county", "county_code", "published", "deadline", "days_late", "format",
                  "source_url", "snapshot_id", "check_status", "record_sha256")
CELL_COLUMNS = ("table_name", "row_key", "column_key", "value", "raw", "unit")
CHECK_COLUMNS = ("id", "rule", "table_name", "column_key", "status", "left_value", "right_value", "detail")


def encode(report: dict, cells: list[dict], checks: list[dict]) -> bytes:
    data = {
        "report": {c: report.get(c) for c in REPORT_COLUMNS},
        "cells": [[c.get(k) for k in CELL_COLUMNS] for c in cells],
        "checks": [[c.get(k) for k in CHECK_COLUMNS] for c in checks],
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"), 6)


def decode(blob: bytes) -> dict:
    data = json.loads(zlib.decompress(blob))
    return {
        "report": data["report"],
        "cells": [dict(zip(CELL_COLUMNS, c, strict=True)) for c in data["cells"]],
        "checks": [dict(zip(CHECK_COLUMNS, c, strict=True)) for c in data["checks"]],
    }


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def freeze(conn: sqlite3.Connection, report_id: str) -> bool:
    """Keep the report's current rows under its current snapshot before they are replaced
    (inside the caller's transaction). False when there is nothing to keep: no report,
    no snapshot, or that reading is frozen already (the first reading stays)."""
    found = _dicts(conn.execute(f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports WHERE id = ?", (report_id,)))
    if not found or not found[0]["snapshot_id"]:
        return False
    report = found[0]
    if conn.execute("SELECT 1 FROM report_versions WHERE report_id = ? AND snapshot_id = ?",
                    (report_id, report["snapshot_id"])).fetchone():
        return False
    cells = _dicts(conn.execute(f"SELECT {', '.join(CELL_COLUMNS)} FROM cells WHERE report_id = ?", (report_id,)))
    checks = _dicts(conn.execute(f"SELECT {', '.join(CHECK_COLUMNS)} FROM checks WHERE report_id = ?",
                                 (report_id,)))
    conn.execute(
        "INSERT INTO report_versions (report_id, snapshot_id, frozen_at, record_sha256, data) VALUES (?, ?, ?, ?, ?)",
        (report_id, report["snapshot_id"], datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
         report["record_sha256"], encode(report, cells, checks)),
    )
    return True
