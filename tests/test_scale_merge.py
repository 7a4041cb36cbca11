"""`nianbao merge`: shards of a partitioned crawl fold into the archive a single crawl writes.

The documents are the sandbox world's ground-truth records (no HTTP, no parser):
shard A holds the even report years and shard B the odd ones, so every
cross-year check spans two shards; a few reports are fetched by both shards,
and one report is revised: shard A saw the old document, shard B (later) the
new one. The single-node archive saves the same fetches in time order.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.merge import merge_archives
from archive.store import open_archive, save_report, save_snapshot
from sandbox import world as W
from tests.crawl_support import mismatches

ROOT = Path(__file__).resolve().parents[1]
# Compared exactly, every column, except the first fetch time of a snapshot
# (which shard's fetch was first is not a property of the web).
TABLES = {
    "blobs": "SELECT sha256, size, encoding, data FROM blobs ORDER BY sha256",
    "snapshots": "SELECT id, url, sha256, size, status, headers, content_type, etag, last_modified, site"
                 " FROM snapshots ORDER BY id",
    "sightings": "SELECT * FROM sightings ORDER BY snapshot_id, seen_at",
    "bodies": "SELECT * FROM bodies ORDER BY id",
    "reports": "SELECT * FROM reports ORDER BY id",
    "sections": "SELECT * FROM sections ORDER BY id",
    "cells": "SELECT * FROM cells ORDER BY report_id, table_name, row_key, column_key",
    "checks": "SELECT * FROM checks ORDER BY id",
    "problems": "SELECT * FROM problems ORDER BY id",
    "report_outcomes": "SELECT * FROM report_outcomes ORDER BY report_id",
    "province_year_outcomes": "SELECT * FROM province_year_outcomes ORDER BY id",
}


def dump(db: Path, tables=TABLES) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in tables.items()}
    finally:
        conn.close()


def fetch(db, report, seen_at: str, record: dict | None = None) -> None:
    """What the crawler's pipelines do for one fetched report document."""
    record = record or report.record
    body = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
    sid, _ = save_snapshot(db, url=report.url, body=body, fetched_at=seen_at, site=report.site.slug)
    save_report(db, record, snapshot_id=sid, url=report.url)


def revised(record: dict) -> dict:
    """The same report re-published with a corrected 本年新收 total."""
    rec = copy.deepcopy(record)
    cell = rec["tables"]["applications"]["new_received"]["total"]
    cell["value"] = (cell["value"] or 0) + 7
    cell["raw"] = str(cell["value"])
    return rec


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    d = tmp_path_factory.mktemp("merge")
    world = W.build_world(seed=3)
    tabled = [r for r in world.reports if r.record["tables"] and r.year >= 2020]
    # A body with the revised report's year and the year after, so the revision moves a cross-year check.
    years = {(r.body.name, r.year) for r in tabled}
    changed = next(r for r in tabled if (r.body.name, r.year + 1) in years)
    both = world.reports[5:12]  # fetched by both shards (a URL reachable from two partitions)
    # (shard, report, seen_at, record): every fetch of the crawl, in time order.
    fetches = []
    for i, r in enumerate(world.reports):
        shard = "a" if r.year % 2 == 0 else "b"
        fetches.append((shard, r, f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00", None))
    for r in both:
        fetches.append(("a" if r.year % 2 else "b", r, "2025-01-02T00:00:00+00:00", None))
    fetches.append(("a", changed, "2025-01-03T00:00:00+00:00", None))
    fetches.append(("b", changed, "2025-01-04T00:00:00+00:00", revised(changed.record)))

    paths = {name: d / f"{name}.db" for name in ("single", "a", "b")}
    dbs = {name: open_archive(p) for name, p in paths.items()}
    for shard, r, seen_at, record in fetches:
        fetch(dbs["single"], r, seen_at, record)
        fetch(dbs[shard], r, seen_at, record)
    for db in dbs.values():
        db.conn.close()
    return {**paths, "dir": d, "changed": changed}


def test_merged_equals_single_node_archive(archives):
    merged = archives["dir"] / "merged.db"
    counts = merge_archives(merged, [archives["a"], archives["b"]])
    single = dump(archives["single"])
    assert counts["shards"] == 2
    assert counts["reports_new"] == len(single["reports"])
    assert counts["reports_replaced"] == 1  # the revised report: from A, then the later document from B
    got = dump(merged)
    for table in TABLES:
        assert got[table] == single[table], table
    cross = [r for r in got["checks"] if r[2] == "carried_over_last_year"]
    assert len(cross) > 100  # cross-year checks were recomputed across the two shards
    assert stored_counts(merged) == stored_counts(archives["single"])
    assert all(mismatches(p) == [] for p in (merged, archives["a"], archives["b"], archives["single"]))


def test_later_document_wins_whatever_the_order(archives):
    merged = archives["dir"] / "reversed.db"
    merge_archives(merged, [archives["b"], archives["a"]])
    assert dump(merged) == dump(archives["single"])
    changed = archives["changed"]
    conn = sqlite3.connect(merged)
    rid, snapshot = conn.execute("SELECT id, snapshot_id FROM reports WHERE source_url = ?",
                                 (changed.url,)).fetchone()
    value = conn.execute("SELECT value FROM cells WHERE report_id = ? AND table_name = 'applications'"
                         " AND row_key = 'new_received' AND column_key = 'total'", (rid,)).fetchone()[0]
    seen = conn.execute("SELECT max(seen_at) FROM sightings WHERE snapshot_id = ?", (snapshot,)).fetchone()[0]
    conn.close()
    assert value == changed.record["tables"]["applications"]["new_received"]["total"]["value"] + 7
    assert seen == "2025-01-04T00:00:00+00:00"


def test_merging_twice_changes_nothing(archives):
    merged = archives["dir"] / "twice.db"
    merge_archives(merged, [archives["a"], archives["b"]])
    everything = {**TABLES, "snapshots": "SELECT * FROM snapshots ORDER BY id",
                  "crawl_runs": "SELECT * FROM crawl_runs ORDER BY id"}
    once = dump(merged, everything)
    counts = merge_archives(merged, [archives["b"], archives["a"], archives["a"]])
    assert dump(merged, everything) == once
    assert (counts["reports_new"], counts["reports_replaced"], counts["snapshots_new"], counts["sightings_new"]) \
        == (0, 0, 0, 0)
    assert mismatches(merged) == []
    conn = sqlite3.connect(merged)
    conn.execute("INSERT INTO reports_fts(reports_fts) VALUES ('integrity-check')")  # FTS rows still aligned
    conn.execute("INSERT INTO sections_fts(sections_fts) VALUES ('integrity-check')")
    conn.close()


def stored_counts(db: Path) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM row_counts WHERE n > 0 ORDER BY 1, 2, 3").fetchall()


def nianbao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_merges_a_directory_of_shards(archives, tmp_path):
    shards = tmp_path / "shards"
    shards.mkdir()
    for name in ("a", "b"):
        (shards / f"{name}.db").write_bytes(archives[name].read_bytes())
    proc = nianbao("merge", shards, "--db", shards / "all.db")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("merged 2 shards into")
    proc = nianbao("merge", shards, "--db", shards / "all.db")  # the merged file in the folder is skipped
    assert proc.returncode == 0, proc.stderr
    assert ": 0 new reports, 0 replaced" in proc.stdout
    assert dump(shards / "all.db") == dump(archives["single"])


@pytest.mark.parametrize("bad", ["missing", "text", "sqlite", "self"])
def test_bad_input_is_one_line_and_writes_nothing(archives, tmp_path, bad):
    dest = tmp_path / "out.db"
    if bad == "missing":
        shard, want = tmp_path / "nope.db", "no archive at"
    elif bad == "text":
        shard, want = tmp_path / "notes.db", "is not an SQLite database"
        shard.write_text("hello")
    elif bad == "sqlite":
        shard, want = tmp_path / "other.db", "not a nianbao archive"
        sqlite3.connect(shard).execute("CREATE TABLE t (x)").connection.close()
    else:
        dest.write_bytes(archives["a"].read_bytes())
        shard, want = dest, "is the destination archive itself"
    before = dest.read_bytes() if dest.exists() else None
    proc = nianbao("merge", archives["a"], shard, "--db", dest)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nianbao merge: ") and want in lines[0], proc.stderr
    assert (dest.read_bytes() if dest.exists() else None) == before  # the good shard was not merged either
