"""archive/store.py: schema, snapshots, reports, checks, crawl runs (hand-built records)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
import sqlite_utils

import archive
from archive import schema, store
from archive.verify import count_mismatches
from tests.archive_fixtures import make_record, set_cell

ZMD = "411700-" + hashlib.sha1("驻马店经济开发区管委会".encode()).hexdigest()[:8]


@pytest.fixture
def db(tmp_path):
    db = archive.open_archive(tmp_path / "a.db")
    yield db
    # whatever a test wrote (or failed to write), the stored row and facet counts are exact
    assert count_mismatches(db.conn) == []


def counts(db):
    return {
        t: db[t].count for t in db.table_names()
        if not t.endswith(("_data", "_idx", "_docsize", "_config")) and t != schema.COUNTS_TABLE
    }


# --- opening ------------------------------------------------------------------------


def test_open_is_idempotent_and_records_migrations(tmp_path):
    db = archive.open_archive(tmp_path / "a.db")
    versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [v for v, _, _ in schema.MIGRATIONS]
    sql_before = db.execute("SELECT group_concat(sql, ';') FROM sqlite_master").fetchone()[0]
    db.conn.close()
    db = archive.open_archive(tmp_path / "a.db")
    assert schema.apply_schema(db) == []
    assert db.execute("SELECT group_concat(sql, ';') FROM sqlite_master").fetchone()[0] == sql_before
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_open_rejects_non_archives(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(archive.ArchiveError, match="not an SQLite database"):
        archive.open_archive(text)
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["things"].insert({"a": 1})
    with pytest.raises(archive.ArchiveError, match="not a nianbao archive"):
        archive.open_archive(other)
    with pytest.raises(archive.ArchiveError, match="no archive at"):
        archive.open_archive(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_later_migrations_keep_existing_data(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    saved = schema.MIGRATIONS[:]
    try:
        schema.MIGRATIONS[:] = saved[:1]  # an archive made by a version with only migration 1
        schema.apply_schema(old)
    finally:
        schema.MIGRATIONS[:] = saved
    conn.execute("INSERT INTO blobs VALUES ('abc', 1, 'zlib', x'00')")
    conn.close()
    db = archive.open_archive(path)
    assert db.execute("SELECT sha256 FROM blobs").fetchall() == [("abc",)]
    assert "reports_fts" in db.table_names()


# --- snapshots ----------------------------------------------------------------------


def test_snapshots_are_append_only_with_sightings(db):
    url = "https://www.example.gov.cn/nb/2020.htm"
    sid, created = archive.save_snapshot(
        db,
        url=url,
        body=b"<p>A</p>",
        fetched_at="2021-02-01T00:00:00Z",
        headers={"ETag": '"a1"', "Content-Type": "text/html"},
    )
    assert created and sid == store.pl.snapshot_id(url, hashlib.sha256(b"<p>A</p>").hexdigest())
    assert len(sid) == 25 and sid[16] == "-"
    again, created2 = archive.save_snapshot(db, url=url, body=b"<p>A</p>", fetched_at="2021-03-01T00:00:00Z")
    assert (again, created2) == (sid, False)
    sid_b, created_b = archive.save_snapshot(
        db, url=url, body=b"<p>B</p>", fetched_at="2021-04-01T00:00:00Z", headers={"ETag": '"b1"'}
    )
    assert created_b and sid_b != sid
    assert db["snapshots"].count == 2 and db["sightings"].count == 3 and db["blobs"].count == 2
    assert archive.latest_snapshot(db, url)["id"] == sid_b
    assert archive.latest_snapshot(db, url)["etag"] == '"b1"'
    # A again after B: a sighting of A, which is now the latest.
    archive.save_snapshot(
        db, url=url, body=b"<p>A</p>", fetched_at="2021-05-01T00:00:00Z", headers={"ETag": '"a1"'}
    )
    latest = archive.latest_snapshot(db, url)
    assert latest == {
        "id": sid,
        "sha256": hashlib.sha256(b"<p>A</p>").hexdigest(),
        "etag": '"a1"',
        "last_modified": None,
        "fetched_at": "2021-05-01T00:00:00Z",
    }
    assert archive.read_snapshot_body(db, sid) == b"<p>A</p>"
    assert archive.latest_snapshot(db, "https://nowhere/") is None
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE snapshots SET status = 500")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM blobs")


# --- reports ------------------------------------------------------------------------


def test_save_report_2021(db):
    sid, _ = archive.save_snapshot(
        db, url="https://zmd/2021.htm", body=b"x", fetched_at="2022-01-20T00:00:00Z"
    )
    rid = archive.save_report(db, make_record("2021"), snapshot_id=sid, url="https://zmd/2021.htm")
    assert rid == f"{ZMD}-2021"
    r = db["reports"].get(rid)
    assert (r["province"], r["city"], r["county"], r["level"], r["year"]) == (
        "河南省",
        "驻马店市",
        None,
        "zone",
        2021,
    )
    assert (r["published"], r["days_late"], r["format"], r["snapshot_id"]) == ("2022-01-20", 0, "2021", sid)
    assert (r["check_status"], r["checks_failed"], r["checks_passed"]) == ("passed", 0, 14 + 25 + 3)
    # 2021 applications: 25 rows x 7 columns; active: 3+3+1+1+1+1; review: 15.
    assert db["cells"].count == 25 * 7 + 10 + 15
    fee = db["cells"].get((rid, "active_disclosure", "fees", "amount"))
    assert (fee["value"], fee["raw"], fee["unit"]) == (25829.67, "25829.67", "万元")
    review = db["cells"].get((rid, "review_litigation", "counts", "review_total"))
    assert review["value"] == sum(
        db["cells"].get((rid, "review_litigation", "counts", f"review_{o}"))["value"]
        for o in ("upheld", "corrected", "other", "pending")
    )
    assert db["sections"].get(f"{rid}-overview")["label"] == "总体情况"
    assert db["bodies"].get(ZMD)["name"] == "驻马店经济开发区管委会"


def test_save_report_2019_and_blank_cells(db):
    rec = set_cell(
        make_record("2019", organization="沾益区", year=2019), "applications", "granted", "research", None, ""
    )
    rid = archive.save_report(db, rec, snapshot_id=None, url=None)
    assert rid.startswith("530303-") and rid.endswith("-2019")
    r = db["reports"].get(rid)
    assert (r["organization"], r["county"], r["level"]) == ("沾益区", "沾益区", "county")
    blank = db["cells"].get((rid, "applications", "granted", "research"))
    assert (blank["value"], blank["raw"]) == (None, "")
    # the blank makes row_total(granted) and handled_sum(research) not checkable
    assert (r["check_status"], r["checks_not_checkable"], r["checks_failed"]) == ("not_checkable", 2, 0)
    # 2019 applications: 23 rows x 7; active: 3+3+3+3+3+3+2+2; review: 15.
    assert db["cells"].count == 23 * 7 + 22 + 15


def test_resave_is_a_noop_and_new_snapshot_keeps_the_id(db):
    url = "https://zmd/2021.htm"
    s1, _ = archive.save_snapshot(db, url=url, body=b"v1", fetched_at="2022-01-20T00:00:00Z")
    rec = make_record("2021")
    rid = archive.save_report(db, rec, snapshot_id=s1, url=url)
    before, changes = counts(db), db.conn.total_changes
    assert archive.save_report(db, rec, snapshot_id=s1, url=url) == rid
    assert db.conn.total_changes == changes and counts(db) == before
    s2, _ = archive.save_snapshot(db, url=url, body=b"v2", fetched_at="2022-03-01T00:00:00Z")
    bad = set_cell(rec, "applications", "granted", "total", 999)
    assert archive.save_report(db, bad, snapshot_id=s2, url=url) == rid
    r = db["reports"].get(rid)
    assert (r["snapshot_id"], r["check_status"]) == (s2, "failed")
    assert db["cells"].get((rid, "applications", "granted", "total"))["value"] == 999
    failed = db.execute(
        "SELECT rule, column_key, left_value FROM checks WHERE report_id = ? AND status = 'failed'"
        " ORDER BY rule, column_key",
        (rid,),
    ).fetchall()
    handled_total = rec["tables"]["applications"]["handled_total"]["total"]["value"]
    assert failed == [("handled_sum", "total", handled_total), ("row_total", "granted", 999)]
    assert db["reports"].count == 1
    # An older document of the same body and year does not displace the newer one.
    s0, _ = archive.save_snapshot(
        db, url="https://zmd/old.htm", body=b"v0", fetched_at="2022-01-01T00:00:00Z"
    )
    assert archive.save_report(db, rec, snapshot_id=s0, url="https://zmd/old.htm") == rid
    assert db["reports"].get(rid)["snapshot_id"] == s2


def test_not_a_report_is_kept_as_snapshot_problem(db):
    sid, _ = archive.save_snapshot(
        db, url="file:x/readme.md", body=b"# readme", fetched_at="2022-01-01T00:00:00Z"
    )
    rec = {
        "source": "x",
        "title": None,
        "organization": None,
        "year": None,
        "published": None,
        "format": None,
        "sections": {},
        "tables": {},
        "checks": [],
        "problems": ["no report year"],
    }
    assert archive.save_report(db, rec, snapshot_id=sid, url="file:x/readme.md") is None
    assert db.execute("SELECT id, report_id, problem FROM problems").fetchall() == [
        (f"{sid}-p1", None, "not a report: no report year, or neither issuing body nor tables found"),
        (f"{sid}-p2", None, "no report year"),
    ]
    assert db["reports"].count == 0


def test_crash_mid_save_leaves_nothing(db, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.R, "problem_rows", boom)
    with pytest.raises(RuntimeError):
        archive.save_report(db, make_record("2021"), snapshot_id=None, url=None)
    written = {t: n for t, n in counts(db).items() if n and t not in schema.REFERENCE_TABLES}
    assert written == {"schema_migrations": len(schema.MIGRATIONS)}


def test_cross_year_checks_and_yearly_totals(db):
    r20 = make_record("2019", year=2020, seed=2)
    r21 = make_record("2021", year=2021, seed=3)
    id21 = archive.save_report(db, r21, snapshot_id=None, url=None)
    assert db.execute("SELECT count(*) FROM checks WHERE rule = 'carried_over_last_year'").fetchone()[0] == 0
    id20 = archive.save_report(db, r20, snapshot_id=None, url=None)
    rows = db.execute(
        "SELECT column_key, status, left_value, right_value FROM checks WHERE report_id = ?"
        " AND rule = 'carried_over_last_year' ORDER BY column_key",
        (id21,),
    ).fetchall()
    expect = []
    for col in sorted(r21["tables"]["applications"]["carried_over"]):
        left = r21["tables"]["applications"]["carried_over"][col]["value"]
        right = r20["tables"]["applications"]["carried_forward"][col]["value"]
        expect.append((col, "passed" if left == right else "failed", left, right))
    assert rows == expect and any(s == "failed" for _, s, _, _ in rows)
    assert db["reports"].get(id21)["check_status"] == "failed"
    assert db["reports"].get(id20)["check_status"] == "passed"
    totals = db.execute(
        "SELECT id, province, year, reports, granted, handled_total FROM province_year_outcomes ORDER BY year"
    ).fetchall()
    apps20, apps21 = r20["tables"]["applications"], r21["tables"]["applications"]
    assert totals == [
        (
            "41-2020",
            "河南省",
            2020,
            1,
            apps20["granted"]["total"]["value"],
            apps20["handled_total"]["total"]["value"],
        ),
        (
            "41-2021",
            "河南省",
            2021,
            1,
            apps21["granted"]["total"]["value"],
            apps21["handled_total"]["total"]["value"],
        ),
    ]


def test_fts_finds_chinese_titles_and_text(db):
    archive.save_report(db, make_record("2021"), snapshot_id=None, url=None)
    archive.save_report(db, make_record("2021", organization="沾益区"), snapshot_id=None, url=None)
    hits = db.execute(
        "SELECT r.organization FROM reports_fts f JOIN reports r ON r.rowid = f.rowid"
        " WHERE reports_fts MATCH '\"经济开发\"'"
    ).fetchall()
    assert hits == [("驻马店经济开发区管委会",)]
    assert (
        db.execute("SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"沾益区2021\"'").fetchone()[
            0
        ]
        == 6
    )


def test_crawl_runs(db):
    run = archive.start_crawl_run(db, province="河南省", started_at="2024-03-01T08:00:00Z")
    assert run == "run-41-20240301T080000Z"
    archive.save_site_status(db, run_id=run, site="www.zmd.gov.cn", status="ok", pages=12, reports=3)
    archive.save_site_status(db, run_id=run, site="www.zmd.gov.cn", status="blocked", detail="403")
    with pytest.raises(ValueError):
        archive.save_site_status(db, run_id=run, site="x", status="weird")
    archive.finish_crawl_run(db, run, finished_at="2024-03-01T09:00:00Z", stats={"sites": 1})
    assert db.execute("SELECT site, status, pages, detail FROM site_status").fetchall() == [
        ("www.zmd.gov.cn", "blocked", 0, "403")
    ]
    assert db["crawl_runs"].get(run)["stats"] == '{"sites": 1}'
