"""End-to-end crawls of the sandbox web: real HTTP, real Scrapy, real archive.

One sandbox serves the whole module; each crawl runs `nianbao crawl` in a
subprocess (Scrapy's reactor runs once per process) with politeness relaxed
by -s overrides — the defaults in crawler/settings.py stay polite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nianbao.commands.crawl import default_jobdir
from sandbox import server, world
from tests.crawl_support import FAST, archived_cells, interrupt_after, mismatches, q, record_cells
from tests.crawl_support import archive_state as base_archive_state

PROVINCES = ("henan", "fujian", "yunnan")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=7, slow_seconds=0.05)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, sandbox):
    d = tmp_path_factory.mktemp("crawl")
    (d / "registry.yml").write_text(yaml.safe_dump({"sites": world.registry_entries(sandbox)}, allow_unicode=True),
                                    encoding="utf-8")
    return d


def crawl_cmd(workdir: Path, province: str, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nianbao", "crawl", "--province", province, "--registry",
            str(workdir / "registry.yml"), "--db", str(db), *FAST, *extra]


def crawl(workdir: Path, province: str, db: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_cmd(workdir, province, db, *extra), capture_output=True, text=True,
                          timeout=170, cwd=ROOT)


def archive_state(db: Path) -> dict:
    """The shared comparison, plus the per-site statuses."""
    return {**base_archive_state(db),
            "statuses": q(db, "SELECT site, status, pages, reports, errors FROM site_status ORDER BY site")}


@pytest.fixture(scope="module")
def crawled(workdir):
    """Each province crawled once, uninterrupted (crawled lazily, shared by the tests)."""
    done: dict[str, tuple[Path, subprocess.CompletedProcess]] = {}

    def get(province: str):
        if province not in done:
            db = workdir / f"{province}.db"
            done[province] = (db, crawl(workdir, province, db, "--progress", "1"))
        return done[province]

    return get


@pytest.mark.parametrize("province", PROVINCES)
def test_crawl_finds_every_report_and_no_decoy(sandbox, crawled, province):
    db, proc = crawled(province)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {r["source"] for r in world.expected_reports(sandbox.world, province)}
    archived = {url for (url,) in q(db, "SELECT source_url FROM reports")}
    assert archived == expected
    decoys = {d.url for d in sandbox.world.decoys if d.site.province.slug == province}
    snapped = {url for (url,) in q(db, "SELECT url FROM snapshots")}
    assert not decoys & snapped  # decoys are recognised by title and never even stored
    unreachable = {r.url for r in world.unreachable_reports(sandbox.world, province)}
    assert not unreachable & snapped  # blocked and robots-disallowed reports are left alone
    assert mismatches(db) == []  # the stored counts, written by workers and reactor alike, are exact


@pytest.mark.parametrize("province", PROVINCES)
def test_site_statuses_as_planted(sandbox, crawled, province):
    db, proc = crawled(province)
    planted = {s.slug: s.status for s in sandbox.world.sites if s.province.slug == province}
    got = {site: status for site, status in q(db, "SELECT site, status FROM site_status")}
    assert got == planted
    run = q(db, "SELECT finished_at, stats FROM crawl_runs")
    assert len(run) == 1 and run[0][0]
    assert f"[crawl {province}] sites" in proc.stderr  # live progress


@pytest.mark.parametrize("province", PROVINCES)
def test_cells_equal_ground_truth(sandbox, crawled, province):
    db, _ = crawled(province)
    wrong = []
    for rec in world.expected_reports(sandbox.world, province):
        row = q(db, "SELECT id, year, organization FROM reports WHERE source_url = ?", rec["source"])
        assert row, rec["source"]
        rid, year, org = row[0]
        assert (year, org) == (rec["year"], rec["organization"])
        got = archived_cells(db, rid)
        want = record_cells(rec)
        if got != want:
            diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
            wrong.append((rec["source"], [(k, want.get(k), got.get(k)) for k in diff[:3]]))
    assert wrong == []


def test_stop_half_way_and_resume_equals_uninterrupted(workdir, crawled):
    full_db, _ = crawled("henan")
    db = workdir / "resumed.db"
    # Few requests and a small scraper backlog, so that Ctrl-C lands half way: fetching is
    # faster than storing, and a graceful stop still stores every document fetched.
    slow = ("-s", "CONCURRENT_REQUESTS=4", "-s", "SCRAPER_SLOT_MAX_ACTIVE_SIZE=300000")
    returncode, err = interrupt_after(crawl_cmd(workdir, "henan", db, "--progress", "0", *slow), db, 20, cwd=ROOT)
    assert returncode == 1, err[-2000:]
    assert "run the same command again to resume" in err
    jobdir = default_jobdir(db, "henan")
    assert (jobdir / "requests.seen.db").exists()
    half = q(db, "SELECT count(*) FROM reports")[0][0]
    assert 0 < half < len(q(full_db, "SELECT id FROM reports"))

    again = crawl(workdir, "henan", db, "--progress", "0")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming" in again.stderr
    assert not jobdir.exists()  # a finished crawl leaves no state: the next one starts afresh
    resumed, full = archive_state(db), archive_state(full_db)
    # A page in flight when Ctrl-C landed may be counted by both runs (a sighting, nothing
    # stored twice): the page counts may exceed the uninterrupted crawl's by one or two.
    pages = {row[0]: row[2] for row in resumed.pop("statuses")}
    full_pages = {row[0]: row[2] for row in full["statuses"]}
    assert all(full_pages[s] <= n <= full_pages[s] + 2 for s, n in pages.items()), (pages, full_pages)
    assert [row[:2] + row[3:] for row in q(db, "SELECT * FROM (SELECT site, status, pages, reports, errors"
                                              " FROM site_status ORDER BY site)")] == \
        [row[:2] + row[3:] for row in full.pop("statuses")]
    assert resumed == full
    assert mismatches(db) == []


def test_recrawl_keeps_unchanged_and_snapshots_a_revised_report(sandbox, workdir, crawled):
    # Last in the module: it revises a report of the shared sandbox.
    full_db, _ = crawled("henan")
    db = workdir / "recrawl.db"
    db.write_bytes(full_db.read_bytes())
    before = archive_state(db)
    sightings = q(db, "SELECT count(*) FROM sightings")[0][0]

    sandbox.requests.clear()
    proc = crawl(workdir, "henan", db, "--progress", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    # unchanged documents are not downloaded again: the conditional request gets 304
    henan_docs = {r.path for r in sandbox.world.reports if r.site.slug == "henan" and r.expected and not r.moved_from}
    recrawl_status = {path: status for slug, _m, path, status in sandbox.requests if path in henan_docs}
    assert recrawl_status and set(recrawl_status.values()) == {304}
    after = archive_state(db)
    assert after["snapshots"] == before["snapshots"]  # nothing re-stored
    assert after["reports"] == before["reports"] and after["cells"] == before["cells"]
    assert q(db, "SELECT count(*) FROM sightings")[0][0] == sightings + len(before["snapshots"])

    report = next(r for r in sandbox.world.reports
                  if r.site.slug == "henan" and r.expected and r.kind == "html" and not r.moved_from)
    old = q(db, "SELECT id, snapshot_id FROM reports WHERE source_url = ?", report.url)[0]
    sandbox.revise(report)
    proc = crawl(workdir, "henan", db, "--progress", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    snaps = q(db, "SELECT id FROM snapshots WHERE url = ? ORDER BY fetched_at", report.url)
    assert len(snaps) == 2 and snaps[0][0] == old[1]  # the old snapshot is kept
    new = q(db, "SELECT id, snapshot_id FROM reports WHERE source_url = ?", report.url)[0]
    assert new[0] == old[0] and new[1] == snaps[1][0]  # same permalink, now from the new snapshot
    assert len(q(db, "SELECT id FROM snapshots")) == len(before["snapshots"]) + 1
    revised = q(db, "SELECT text FROM sections WHERE report_id = ? AND part = 'other_matters'", new[0])
    assert "第1次更新" in revised[0][0]
    assert [r[0] for r in archive_state(db)["reports"]] == [r[0] for r in before["reports"]]
    assert mismatches(db) == []


def test_unknown_province_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--province", "火星", "--db",
                           str(tmp_path / "x.db")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown province '火星'" in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_crawl_survives_transport_faults(tmp_path):
    """Resets, truncated bodies, 5xx bursts, HTML sent as octet-stream, a page flipped to the other charset."""
    from sandbox.faults import FaultTable

    faults = FaultTable(seed=3)
    faults.randomly(rate=0.15)
    faults.add("yunnan-kunming", "/zwgk/ndbg/index_1.html", "wrong_type")
    faults.add("yunnan", "/ndbg/index_2.htm", "charset_flip")
    faults.add("yunnan", "/ndbg/", "drip", seconds=0.01, times=3)
    handle = server.start(seed=7, slow_seconds=0.05, faults=faults)
    try:
        (tmp_path / "registry.yml").write_text(
            yaml.safe_dump({"sites": world.registry_entries(handle)}, allow_unicode=True), encoding="utf-8")
        db = tmp_path / "faults.db"
        cmd = crawl_cmd(tmp_path, "yunnan", db, "--progress", "0", "-s", "RETRY_TIMES=4")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=170, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr[-2000:]
        expected = {r["source"] for r in world.expected_reports(handle.world, "yunnan")}
        assert {url for (url,) in q(db, "SELECT source_url FROM reports")} == expected
        planted = {s.slug: s.status for s in handle.world.sites if s.province.slug == "yunnan"}
        assert dict(q(db, "SELECT site, status FROM site_status")) == planted
        assert all(rule.fired for rule in faults.rules)  # the planted faults were met, not dodged
    finally:
        handle.stop()
