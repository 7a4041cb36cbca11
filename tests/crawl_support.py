"""What the crawl tests share: relaxed politeness for our own loopback sandbox,
read-only looks into an archive file, and a crawl stopped half way with Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

# The sandbox is ours and on loopback: politeness off. The defaults in
# crawler/settings.py stay polite. The download timeout is generous because the
# sandbox renders PDF and DOCX reports on demand, in Python threads sharing one
# GIL: sixteen renders at once on a busy 2-core machine took over 20 s each.
# The sandbox and these tests serve on loopback, which a real crawl refuses (crawler/scope.py).
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_TIMEOUT=90", "-s", "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True")


def q(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def mismatches(db: Path) -> list[str]:
    """Where the archive's stored row and facet counts differ from its rows ([] if exact)."""
    from archive.verify import count_mismatches

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return count_mismatches(conn)
    finally:
        conn.close()


def archive_state(db: Path) -> dict:
    """What must not differ between two crawls of the same web: reports, cells, permalinks, snapshots."""
    return {
        "reports": q(db, "SELECT id, body_id, year, source_url, snapshot_id, record_sha256 FROM reports ORDER BY id"),
        "cells": q(db, "SELECT report_id, table_name, row_key, column_key, value, raw FROM cells"
                       " ORDER BY report_id, table_name, row_key, column_key"),
        "snapshots": q(db, "SELECT id, url, sha256 FROM snapshots ORDER BY id"),
    }


def interrupt_after(cmd: list[str], db: Path, snapshots: int, *, cwd: Path, timeout: float = 60):
    """Run a crawl command, press Ctrl-C (SIGINT: Scrapy closes gracefully and keeps
    JOBDIR) once the archive holds `snapshots` snapshots; (returncode, stderr)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if db.exists() and q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'snapshots'")[0][0] \
                and q(db, "SELECT count(*) FROM snapshots")[0][0] >= snapshots:
            break
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def record_cells(record: dict) -> dict:
    """The cells of a ground-truth record, keyed (table, row, column) as the archive keys them."""
    cells = {}
    for table, rows in record["tables"].items():
        if table == "review_litigation":
            cells.update({(table, "counts", c): cell["value"] for c, cell in rows.items()})
        else:
            cells.update({(table, r, c): cell["value"] for r, cols in rows.items() for c, cell in cols.items()})
    return cells


def archived_cells(db: Path, report_id: str) -> dict:
    """The archived cells of one report, keyed (table, row, column)."""
    return {(t, r, c): v for t, r, c, v in
            q(db, "SELECT table_name, row_key, column_key, value FROM cells WHERE report_id = ?", report_id)}


def world_of(sites, seed: int = 7):
    """A running sandbox of these sites (tests/discovery_world.py), no slow pages."""
    from sandbox import server, world

    return server.start(seed=seed, world=world.build_world(seed, sites=sites, slow_seconds=0), slow_seconds=0)


def crawl_command(sandbox, folder: Path, *settings: str, province: str = "henan") -> tuple[list[str], Path]:
    """(the `nianbao crawl` command over every site of a running sandbox, its archive)."""
    import sys

    import yaml

    from sandbox import world

    registry, db = folder / "registry.yml", folder / "archive.db"
    registry.write_text(yaml.safe_dump({"sites": world.registry_entries(sandbox)}, allow_unicode=True),
                        encoding="utf-8")
    return [sys.executable, "-m", "nianbao", "crawl", "--province", province, "--registry", str(registry),
            "--db", str(db), *FAST, *settings, "--progress", "0"], db
