"""A real crawl of sites whose report columns are filled only through a POSTed JSON API
(sandbox feature post_json_list, tests/discovery_world.py POST_SITES): $.ajax, $.post,
fetch, axios and XHR calls, form and JSON bodies, page numbers and offsets, records
at different depths, and a call only in the page's external script. The endpoints answer 405 to GET, so only the POST path works.

Every expected report archived and nothing else, each with its true year,
organization and level and every cell equal to the ground truth; every page POSTed
once (none dropped as a duplicate, none fetched twice), no GET of an endpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nianbao.commands.crawl import default_jobdir
from sandbox import post_api, world
from sandbox.cms import paginate
from tests.crawl_support import archived_cells, crawl_command, q, record_cells, world_of
from tests.discovery_world import POST_SITES

ROOT = Path(__file__).resolve().parents[1]
CHAINED = ("post", "xhr")  # no count in the JSON: pages are asked for until one brings nothing new


@pytest.fixture(scope="module")
def sandbox():
    handle = world_of(POST_SITES)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def crawled(sandbox, tmp_path_factory):
    cmd, db = crawl_command(sandbox, tmp_path_factory.mktemp("postapi"), "-s", "NIANBAO_BROWSER=False")
    start = len(sandbox.requests)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    return db, proc, list(sandbox.requests)[start:]  # what this crawl asked for


def test_every_report_archived_and_nothing_else(sandbox, crawled):
    db, proc, _ = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    archived = {url for (url,) in q(db, "SELECT source_url FROM reports")}
    want = {r["source"] for r in world.expected_reports(sandbox.world, "henan")}
    assert len(want) > 40
    assert sorted(archived - want) == [] and sorted(want - archived) == []
    snapped = {url for (url,) in q(db, "SELECT url FROM snapshots")}
    assert not {d.url for d in sandbox.world.decoys} & snapped


def test_year_organization_level_and_cells_equal_ground_truth(sandbox, crawled):
    db, _, _ = crawled
    wrong = []
    for rec in world.expected_reports(sandbox.world, "henan"):
        report = sandbox.world.report_by_url(rec["source"])
        row = q(db, "SELECT id, year, organization, level FROM reports WHERE source_url = ?", rec["source"])
        assert row, rec["source"]
        rid, year, org, level = row[0]
        if (year, org, level) != (rec["year"], rec["organization"], report.body.level):
            wrong.append((rec["source"], (year, org, level)))
        elif archived_cells(db, rid) != record_cells(rec):
            wrong.append((rec["source"], "cells"))
    assert wrong == []


def _status(url: str, body: bytes | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_endpoints_answer_only_the_post_the_script_sends(sandbox):
    form = {"Content-Type": "application/x-www-form-urlencoded", "X-Requested-With": "XMLHttpRequest"}
    ajax = sandbox.world.site("t-post-ajax").base_url + post_api.ENDPOINTS["ajax"]
    assert _status(ajax) == 405
    assert _status(ajax, b"channelId=1101&pageNo=1", form) == 200
    assert _status(ajax, b"channelId=1101&pageNo=1", {**form, "X-Requested-With": ""}) == 403
    assert _status(ajax, b'{"channelId":1101,"pageNo":1}', {**form, "Content-Type": "application/json"}) == 415
    assert _status(ajax, b"channelId=9&pageNo=1", form) == 400
    fetch = sandbox.world.site("t-post-fetch").base_url + post_api.ENDPOINTS["fetch"]
    assert _status(fetch, b'{"columnCode":"ndbg","pageIndex":0}', {"Content-Type": "text/plain"}) == 415
    assert _status(fetch, b'{"columnCode":"ndbg","pageIndex":0}', {"Content-Type": "application/json"}) == 200


def _posted_pages(site) -> int:
    """The POSTs a correct crawl sends to the site's endpoint."""
    v = site.features[0].split(":")[1]
    pages = sum(len(paginate(c.entries, site.spec.page_size)) for c in site.registered_columns)
    # a counted listing fans out from page 1; a chained one asks once past its end
    return pages + (len(site.registered_columns) if v in CHAINED else 0)


def test_every_page_posted_once_and_no_get_of_the_endpoint(sandbox, crawled):
    db, _, log = crawled
    for site in sandbox.world.sites:
        v = site.features[0].split(":")[1]
        endpoint = post_api.ENDPOINTS[v]
        posts = [r for r in log if r[0] == site.slug and r[2] == endpoint]
        assert {r[1] for r in posts} == {"POST"}, site.slug
        assert all(r[3] == 200 for r in posts), site.slug
        assert len(posts) == _posted_pages(site), (site.slug, len(posts))
        if v == "bundle":  # its own script read once per column page, the library never
            scripts = [r for r in log if r[0] == site.slug and r[2] in (post_api.BUNDLE, post_api.LIBRARY)]
            assert scripts == [(site.slug, "GET", post_api.BUNDLE, 200)] * len(site.registered_columns)
    errors = q(db, "SELECT count(*) FROM crawl_runs WHERE stats LIKE '%405%'")[0][0]
    assert errors == 0


def test_stopped_and_resumed_crawl_posts_every_page_once(sandbox, crawled, tmp_path):
    """Ctrl-C part way, then the same command: the JOBDIR's queued POST pages keep their
    bodies, the dupefilter knows the ones sent, so across both runs each page is POSTed
    once and the archive is the same as an uninterrupted crawl's."""
    cmd, db = crawl_command(sandbox, tmp_path, "-s", "NIANBAO_BROWSER=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    sandbox.requests.clear()
    returncode, err = _interrupt_after_posts(cmd, sandbox, 4)
    assert returncode == 1, err[-2000:]
    assert default_jobdir(db, "henan").is_dir()
    first = len([r for r in sandbox.requests if r[1] == "POST"])
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming" in again.stderr
    log = list(sandbox.requests)
    assert 0 < first < len([r for r in log if r[1] == "POST"])  # stopped with POST pages still to send
    for site in sandbox.world.sites:
        endpoint = post_api.ENDPOINTS[site.features[0].split(":")[1]]
        posts = [r for r in log if r[0] == site.slug and r[2] == endpoint]
        assert len(posts) == _posted_pages(site), (site.slug, len(posts))
    full = crawled[0]
    assert q(db, "SELECT source_url, year, organization FROM reports ORDER BY source_url") == \
        q(full, "SELECT source_url, year, organization FROM reports ORDER BY source_url")


def _interrupt_after_posts(cmd: list[str], sandbox, posts: int, timeout: float = 120):
    """Run a crawl and press Ctrl-C once the sandbox has answered `posts` POSTs (the
    chained listings then have pages left: each asks for the next after its answer)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if sum(1 for r in list(sandbox.requests) if r[1] == "POST") >= posts:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err
