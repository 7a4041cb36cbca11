"""Stored row and facet counts (`row_counts`, archive/schema.py migration 7).

The site answers unfiltered table counts and facets from them, so they must be
exact after every writer: ingest, re-ingest, a revised document, a crash, a
merge (tests/test_scale_merge.py), every store test (the fixture of
tests/test_archive_store.py), a crawl (tests/test_crawl_sandbox.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from archive import schema
from archive.ingest import ingest_paths
from archive.store import open_archive
from archive.verify import count_mismatches, verify_archive

SHARED = Path(__file__).resolve().parents[2] / "shared"
ROOT = Path(__file__).resolve().parents[1]


def user_tables(conn) -> set[str]:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    shadows = {n for n in names for fts in schema.FTS_CONTENT if n.startswith(fts + "_")}
    return names - shadows - set(schema.FTS_CONTENT) - {schema.MARKER_TABLE, schema.COUNTS_TABLE}


def stored(conn) -> list:
    return conn.execute("SELECT * FROM row_counts WHERE n > 0 ORDER BY 1, 2, 3").fetchall()


def test_every_table_and_every_site_facet_is_counted(tmp_path):
    db = open_archive(tmp_path / "a.db")
    assert user_tables(db.conn) == set(schema.COUNTED)
    metadata = yaml.safe_load((ROOT / "nianbao" / "site" / "metadata.yml").read_text(encoding="utf-8"))
    for table, conf in metadata["databases"]["archive"]["tables"].items():
        facets = [f for f in (conf or {}).get("facets") or () if isinstance(f, str)]
        assert set(facets) <= set(schema.COUNTED.get(table, ())), table


def test_counts_are_exact_after_ingest_reingest_and_a_revision(tmp_path):
    db = open_archive(tmp_path / "a.db")
    ingest_paths(db, [SHARED / "seeds", SHARED / "real-reports"])
    assert count_mismatches(db.conn) == []
    n, _ = schema.read_counts(db.execute("SELECT * FROM row_counts"))
    assert n["reports"] == 11 and n["cells"] == db.execute("SELECT count(*) FROM cells").fetchone()[0] > 2000
    assert dict(db.execute("SELECT value, n FROM row_counts WHERE table_name = 'cells'"
                           " AND column_name = 'table_name'").fetchall()) \
        == dict(db.execute("SELECT table_name, count(*) FROM cells GROUP BY 1").fetchall())
    before = stored(db.conn)
    ingest_paths(db, [SHARED / "seeds", SHARED / "real-reports"])  # nothing new
    assert stored(db.conn) == before
    # a report re-parsed into fewer cells, another year, another province: every counter moves
    rid = db.execute("SELECT id FROM reports ORDER BY id LIMIT 1").fetchone()[0]
    with db.conn:
        db.execute("DELETE FROM cells WHERE report_id = ? AND table_name = 'active_disclosure'", (rid,))
        db.execute("UPDATE reports SET year = year + 1, province = '测试省', format = NULL WHERE id = ?", (rid,))
    assert count_mismatches(db.conn) == []
    assert ("reports", "province", "测试省", 1) in stored(db.conn)


def test_migration_counts_an_existing_archive(tmp_path):
    """An archive written before migration 7 gets its counts when it is next opened."""
    path = tmp_path / "old.db"
    db = open_archive(path)
    ingest_paths(db, [SHARED / "seeds"])
    want = stored(db.conn)
    triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                         " AND name LIKE '%_count_%'")]
    assert len(triggers) == 2 * len(schema.COUNTED) + sum(map(len, schema.COUNTED.values()))
    triggers = [t for t in triggers if t.rsplit("_count_", 1)[0] in schema._COUNTED_V7]
    for name in triggers:
        db.execute(f"DROP TRIGGER [{name}]")
    db.execute("DROP TABLE row_counts")
    db.execute("DELETE FROM schema_migrations WHERE version = 7")
    db.conn.close()
    assert verify_archive(path).ok  # an archive without stored counts is not damaged

    db = open_archive(path)
    # Only migration 7's tables are counted again: tables of later migrations lose their
    # counters with the dropped row_counts here, which no real archive older than 7 had.
    v7 = set(schema._COUNTED_V7)
    assert stored(db.conn) == [r for r in want if r[0] in v7]
    assert [m for m in count_mismatches(db.conn) if m.split(" of ")[1].split(":")[0].split(".")[0] in v7] == []
    db.conn.close()


def test_verify_reports_a_stored_count_that_is_wrong(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path)
    ingest_paths(db, [SHARED / "seeds"])
    db.conn.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE row_counts SET n = n + 1 WHERE table_name = 'sections' AND column_name = ''")
    conn.close()
    result = verify_archive(path)
    assert not result.ok
    assert any(p.startswith("row count of sections: stored ") for p in result.problems)
