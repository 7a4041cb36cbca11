"""A real crawl of a sandbox world made of the discovery mechanisms (tests/discovery_world.py):
gkmlpt JSON shells, script and POST pagers, extension-less downloads, viewer- and
frame-wrapped PDFs, JavaScript-only lists (rendered in Chromium when it is installed).

Every expected report archived and nothing else, no wrapper page or decoy stored as a
report, every report with its true organization and level, every cell equal to the
ground truth."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sandbox import world
from tests.crawl_support import archived_cells, crawl_command, q, record_cells, world_of
from tests.discovery_world import JS_LISTS, JS_ONLY, SITES

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or (Path("/usr/bin/chromium").exists() and "/usr/bin/chromium")


@pytest.fixture(scope="module")
def sandbox():
    handle = world_of(SITES)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def crawled(sandbox, tmp_path_factory):
    cmd, db = crawl_command(sandbox, tmp_path_factory.mktemp("discovery"),
                            "-s", f"NIANBAO_BROWSER={'auto' if CHROMIUM else 'False'}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    return db, proc


def expected(sandbox) -> list[dict]:
    recs = world.expected_reports(sandbox.world, "henan")
    if not CHROMIUM:  # only a browser reveals those lists
        hidden = {r.url for s in sandbox.world.sites if s.slug in JS_LISTS for r in s.reports}
        recs = [r for r in recs if r["source"] not in hidden]
    return recs


def test_every_report_archived_and_nothing_else(sandbox, crawled):
    db, proc = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    archived = {url for (url,) in q(db, "SELECT source_url FROM reports")}
    want = {r["source"] for r in expected(sandbox)}
    assert sorted(archived - want) == [] and sorted(want - archived) == []
    wrappers = {r.site.base_url + r.page_path for r in sandbox.world.reports if r.page_path}
    decoys = {d.url for d in sandbox.world.decoys}
    snapped = {url for (url,) in q(db, "SELECT url FROM snapshots")}
    assert not wrappers & snapped  # the page around a file is context, never stored as the report
    assert not decoys & snapped


def test_wrapped_files_take_their_pages_metadata(sandbox, crawled):
    db, _ = crawled
    for rec in expected(sandbox):
        report = sandbox.world.report_by_url(rec["source"])
        (raw,) = q(db, "SELECT metadata_from FROM reports WHERE source_url = ?", rec["source"])[0]
        if report.page_path:
            assert json.loads(raw)["page"] == report.site.base_url + report.page_path
            assert json.loads(raw)["published"] == "page"
        elif report.kind == "html" and not report.title.startswith(str(report.year)):
            assert raw is None  # the page said it all


def test_organization_level_and_cells_equal_ground_truth(sandbox, crawled):
    db, _ = crawled
    wrong = []
    for rec in expected(sandbox):
        report = sandbox.world.report_by_url(rec["source"])
        row = q(db, "SELECT id, year, organization, level, published FROM reports WHERE source_url = ?", rec["source"])
        assert row, rec["source"]
        rid, year, org, level, published = row[0]
        if (year, org, level, published) != (rec["year"], rec["organization"], report.body.level, rec["published"]):
            wrong.append((rec["source"], (year, org, level, published)))
            continue
        got = archived_cells(db, rid)
        want = record_cells(rec)
        if got != want:
            wrong.append((rec["source"], "cells"))
    assert wrong == []


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium: JavaScript-only lists are not rendered")
def test_javascript_only_lists_rendered_in_chromium(sandbox, crawled):
    db, _ = crawled
    stats = json.loads(q(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats.get("pages_rendered", 0) >= len(JS_ONLY)
    assert f"browser: {stats['pages_rendered']} column pages rendered" in crawled[1].stdout
    for slug in JS_ONLY:
        site = sandbox.world.site(slug)
        archived = {url for (url,) in q(db, "SELECT source_url FROM reports WHERE source_url LIKE ?",
                                        site.base_url + "/%")}
        assert archived == {r.url for r in site.reports if r.expected}


def test_browser_settings_read_defensively():
    from crawler.browser import chromium_path, resolver_rules

    assert chromium_path(False) is None and chromium_path("off") is None
    assert chromium_path("/nonexistent/chromium") is None
    assert resolver_rules({"www.a.gov.cn": "127.0.1.2", "b.gov.cn": "127.0.1.3"}) == (
        "MAP b.gov.cn 127.0.1.3,MAP www.a.gov.cn 127.0.1.2")
    assert resolver_rules('{"x.gov.cn": "127.0.0.9"}') == "MAP x.gov.cn 127.0.0.9"
    assert resolver_rules(None) is None and resolver_rules("not json") is None and resolver_rules([]) is None


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_chromium_renders_script_built_lists_under_host_names(sandbox):
    from crawler.browser import render
    from crawler.pages.html import HtmlPage

    for slug in (*JS_LISTS, "t-gkmlpt-bundle"):
        site = sandbox.world.site(slug)
        port = sandbox.port or int(site.base_url.rsplit(":", 1)[1])
        address = site.base_url.split("//")[1].split(":")[0]
        url = f"http://www.{slug}.gov.cn:{port}{site.columns[0].path}"
        dom, apis = render(url, binary=CHROMIUM, seconds=60, resolve={f"www.{slug}.gov.cn": address})
        titles = {link.text for link in HtmlPage(dom, url).links()}
        if slug in JS_LISTS:
            assert {r.title for r in site.reports} <= titles
        else:  # page 1 in the DOM, the API in the net log
            page1 = [e.title for e in site.columns[0].entries[:4]]
            assert set(page1) <= titles and not {e.title for e in site.columns[0].entries} <= titles
            assert apis == [f"http://www.{slug}.gov.cn:{port}/gkmlpt/api/all/1101?page=1&sid={sum(map(ord, slug)) % 9000 + 1000}"]
