"""Site discovery end to end: the sandbox's 广东, served under real-looking host names
(mapped to loopback like curl --resolve), with only www.gd.gov.cn registered. A crawl
must find every government site of the province two and three site hops away, archive
exactly their reports, leave the other province, the ministry, the news site and the
shop alone (their home page at most), record every site, and keep its bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox import server, world
from tests.crawl_support import FAST, interrupt_after, mismatches, q

ROOT = Path(__file__).resolve().parents[1]
OUTSIDERS = ("hunan", "moe", "southcn", "mall")

# (slug, host, code, level, found, hop, placed_by, status, reason) of every site the crawl knows.
SITES = [
    ("guangdong", "www.gd.gov.cn", "44", "province", "registry", 0, "registry", "crawled", ""),
    ("guangdong-czj-sg", "czj.sg.gov.cn", "4402", "department", "link", 2, "name", "crawled", ""),
    ("guangdong-czt-gd", "czt.gd.gov.cn", "44", "department", "menu", 1, "site_id_code", "crawled", ""),
    ("guangdong-edu-gd", "edu.gd.gov.cn", "44", "department", "menu", 1, "site_id_code", "crawled", ""),
    ("guangdong-gdmall-shop", "www.gdmall-shop.com", None, None, "link", 1, None, "left_alone", "no_identity"),
    ("guangdong-gz", "www.gz.gov.cn", "4401", "city", "link", 1, "site_id_code", "crawled", ""),
    ("guangdong-gzns", "www.gzns.gov.cn", "440115", "zone", "link", 2, "site_id_code", "crawled", ""),
    ("guangdong-hrss-gd", "hrss.gd.gov.cn", "44", "department", "site_list", 1, "name", "crawled", ""),
    ("guangdong-hunan", "www.hunan.gov.cn", "43", "province", "link", 1, "site_id_code", "left_alone",
     "other_province"),
    ("guangdong-jyj-gz", "jyj.gz.gov.cn", "4401", "department", "link", 2, "site_id_code", "crawled", ""),
    ("guangdong-jyj-panyu", "jyj.panyu.gov.cn", "440113", "department", "link", 3, "site_id_code", "crawled", ""),
    ("guangdong-moe", "www.moe.gov.cn", None, "national", "link", 1, "site_id_code", "left_alone", "national"),
    ("guangdong-panyu", "www.panyu.gov.cn", "440113", "county", "link", 2, "site_id_code", "crawled", ""),
    ("guangdong-ruyuan", "www.ruyuan.gov.cn", "440232", "county", "menu", 2, "site_id_code", "crawled", ""),
    ("guangdong-sg", "www.sg.gov.cn", "4402", "city", "link", 1, "site_id_code", "crawled", ""),
    ("guangdong-shilou-panyu", "shilou.panyu.gov.cn", "440113", "township", "link", 3, "domain", "crawled", ""),
    ("guangdong-southcn", "www.southcn.com", None, None, "link", 1, None, "left_alone", "not_government"),
]


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=7, slow_seconds=0.05, hosted=True)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, sandbox):
    d = tmp_path_factory.mktemp("discovery")
    entries = [e for e in world.registry_entries(sandbox) if e["province"] == "guangdong"]
    assert [e["slug"] for e in entries] == ["guangdong"]  # only the portal is registered
    # The host map is given on the command line (--resolve), as a user would.
    (d / "registry.yml").write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
    return d


def crawl_cmd(workdir: Path, db: Path, sandbox, *extra: str) -> list[str]:
    resolve = [arg for host, addr in sandbox.world.host_map().items() for arg in ("--resolve", f"{host}:{addr}")]
    return [sys.executable, "-m", "nianbao", "crawl", "--province", "广东", "--registry", str(workdir / "registry.yml"),
            "--db", str(db), "--progress", "0", *resolve, *FAST, *extra]


def crawl(workdir, db, sandbox, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_cmd(workdir, db, sandbox, *extra), capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def crawled(workdir, sandbox):
    db = workdir / "guangdong.db"
    start = len(sandbox.requests)
    proc = crawl(workdir, db, sandbox)
    return db, proc, list(sandbox.requests)[start:]


def site_rows(db: Path) -> list[tuple]:
    return q(db, "SELECT slug, host, code, level, found, hop, placed_by, status, reason FROM sites ORDER BY slug")


def test_crawl_given_only_the_portal_archives_every_government_site_of_the_province(sandbox, crawled):
    db, proc, _requests = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {r["source"] for r in world.expected_reports(sandbox.world, "guangdong")}
    archived = {url for (url,) in q(db, "SELECT source_url FROM reports")}
    assert archived == expected
    # every level of government of the province reports, reached two and three hops away
    levels = {level for (level,) in q(db, "SELECT DISTINCT level FROM reports")}
    assert {"province", "city", "county", "department", "zone"} <= levels
    assert len(expected) > 100
    crawled_sites = {s.slug for s in sandbox.world.sites if s.province.slug == "guangdong"}
    assert dict(q(db, "SELECT site, status FROM site_status")) == {slug: "ok" for slug in crawled_sites}
    assert mismatches(db) == []


def test_sites_table_records_how_each_site_was_found_and_placed(crawled):
    db, proc, _requests = crawled
    assert site_rows(db) == SITES
    found_from = dict(q(db, "SELECT slug, found_from FROM sites"))
    assert found_from["guangdong-hrss-gd"].endswith("/sitemap/")  # only the 网站地图 page names it
    assert found_from["guangdong-panyu"].startswith("http://www.gz.gov.cn:")
    assert found_from["guangdong-shilou-panyu"].startswith("http://www.panyu.gov.cn:")
    names = dict(q(db, "SELECT slug, name FROM sites"))
    assert names["guangdong-gz"] == "广州市人民政府" and names["guangdong-shilou-panyu"] == "石楼镇人民政府"
    stats = json.loads(q(db, "SELECT stats FROM crawl_runs")[0][0])
    assert {k: stats[k] for k in ("sites_registered", "sites_found", "sites_crawled", "sites_with_reports",
                                  "sites_left_alone")} == {"sites_registered": 1, "sites_found": 12, "sites_crawled": 13,
                                                           "sites_with_reports": 13, "sites_left_alone": 4}
    assert stats["left_alone"] == {"national": 1, "no_identity": 1, "not_government": 1, "other_province": 1}
    assert stats["bounds_hit"] == {}
    assert ("sites: 1 registered + 12 found · 13 crawled · 13 with reports · 4 left alone "
            "(national 1, no_identity 1, not_government 1, other_province 1)") in proc.stdout


def test_hosts_left_alone_are_asked_for_their_home_page_at_most(sandbox, crawled):
    _db, _proc, requests = crawled
    asked = {}
    for slug, _method, path, _status in requests:
        if slug in OUTSIDERS:
            asked.setdefault(slug, set()).add(path)
    assert asked == {"hunan": {"/robots.txt", "/"}, "moe": {"/robots.txt", "/"}, "mall": {"/robots.txt", "/"}}
    # and nothing of another province is stored, not even a snapshot
    db = _db
    hunan = sandbox.world.site("hunan").base_url
    assert not q(db, "SELECT url FROM snapshots WHERE url LIKE ?", hunan + "%")


def test_bounds_are_settings_and_reported_when_hit(sandbox, workdir):
    db = workdir / "bounded.db"
    # This registry also lists 湖南's portal: a registry entry wins, its host is never probed.
    bounded = workdir / "bounded"
    bounded.mkdir()
    hunan = sandbox.world.site("hunan")
    entries = [e for e in world.registry_entries(sandbox) if e["province"] == "guangdong"]
    entries.append({"slug": "hunan", "name": "湖南省人民政府", "code": "43", "level": "province",
                    "portal": hunan.base_url + "/"})
    (bounded / "registry.yml").write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
    start = len(sandbox.requests)
    proc = crawl(bounded, db, sandbox, "-s", "NIANBAO_SITE_HOPS=1", "-s", "NIANBAO_MAX_SITES=4",
                 "-s", "NIANBAO_MAX_PAGES_PER_SITE=12")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [r for r in list(sandbox.requests)[start:] if r[0] == "hunan"]
    assert q(db, "SELECT code, level, placed_by, status, reason FROM sites WHERE host = ?", hunan.host) == \
        [("43", "province", "registry", "left_alone", "other_province")]
    rows = q(db, "SELECT slug, hop, status, reason FROM sites")
    crawled_sites = {slug for slug, _hop, status, _r in rows if status == "crawled"}
    assert len(crawled_sites) <= 4 and "guangdong" in crawled_sites
    assert all(hop <= 1 for _s, hop, _st, _r in rows)  # counties (hop 2) were not even probed
    assert any(reason == "over_sites_bound" for *_x, reason in rows)
    stats = json.loads(q(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats["bounds_hit"]["site_hops"] >= 2 and stats["bounds_hit"]["sites"] >= 1
    assert stats["bounds_hit"]["pages"]  # 12 pages are fewer than any site's listing and reports
    assert dict(q(db, "SELECT site, pages FROM site_status")).keys() == crawled_sites
    assert all(pages <= 12 for (pages,) in q(db, "SELECT pages FROM site_status"))
    assert "bounds hit: " in proc.stdout and "NIANBAO_SITE_HOPS" in proc.stdout
    hosts = {sandbox.world.site(s).base_url for s in ("guangdong-panyu", "guangdong-gzns", "guangdong-jyj-gz")}
    assert not [u for (u,) in q(db, "SELECT url FROM snapshots") if any(u.startswith(h) for h in hosts)]


def test_discovered_sites_survive_a_stop_and_resume(sandbox, workdir, crawled):
    full_db = crawled[0]
    db = workdir / "resumed.db"
    code, err = interrupt_after(crawl_cmd(workdir, db, sandbox, "-s", "CONCURRENT_REQUESTS=2"), db, 40,
                                cwd=ROOT, timeout=240)
    assert code == 1, err[-2000:]
    stopped = {slug for (slug,) in q(db, "SELECT slug FROM sites WHERE status = 'crawled'")}
    assert len(stopped) > 1  # some sites had been discovered before the stop
    proc = crawl(workdir, db, sandbox)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming" in proc.stderr
    assert site_rows(db) == site_rows(full_db)
    assert q(db, "SELECT source_url FROM reports ORDER BY 1") == q(full_db, "SELECT source_url FROM reports ORDER BY 1")


def test_a_bad_resolve_entry_is_one_line(workdir, sandbox):
    proc = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--province", "广东", "--registry",
                           str(workdir / "registry.yml"), "--db", str(workdir / "bad.db"), "--resolve", "www.gd.gov.cn"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "nianbao crawl: --resolve expects HOST:ADDRESS (e.g. www.gd.gov.cn:127.0.1.20), got 'www.gd.gov.cn'"]


def test_discovered_sites_export_as_a_registry_the_crawl_accepts(crawled, workdir):
    db = crawled[0]
    out = workdir / "exported.yml"
    proc = subprocess.run([sys.executable, "-m", "nianbao", "sites", "export", "--db", str(db), "--province", "44",
                           "-o", str(out)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    from crawler.registry import Registry

    reg = Registry.from_file(out)
    crawled_rows = [(s, c, lv) for s, _h, c, lv, _f, _hop, _p, st, _r in SITES if st == "crawled"]
    assert sorted((s.slug, s.code, s.level) for s in reg.sites_for("广东")) == sorted(crawled_rows)
    gz = next(s for s in reg.sites if s.slug == "guangdong-gz")
    assert gz.extra == {"found": "link", "found_from": q(db, "SELECT found_from FROM sites WHERE slug = ?",
                                                         "guangdong-gz")[0][0], "hop": 1, "placed_by": "site_id_code"}
    bad = subprocess.run([sys.executable, "-m", "nianbao", "sites", "export", "--db", str(db), "--province", "河南"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0


def test_merged_archives_keep_every_site_once(crawled, workdir):
    from archive.merge import merge_archives

    db = crawled[0]
    dest = workdir / "merged.db"
    merge_archives(dest, [db])
    merge_archives(dest, [db])  # twice: nothing changes
    assert site_rows(dest) == site_rows(db)
    assert mismatches(dest) == []
