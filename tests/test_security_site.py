"""The published site against hostile content and queries: no write, a runaway query is cut and
the server stays up, every payload renders as text in Chromium (tests/reliability/site.py)."""

from __future__ import annotations

import pytest

from tests.reliability import site


def test_hostile_archive_was_crawled(hostile_archive):
    assert hostile_archive["crawl_returncode"] == 0
    assert hostile_archive["reports"] == 29 and hostile_archive["xss_report"]


def test_no_write_is_possible(hostile_archive, hostile_site):
    base, _ = hostile_site
    r = site.run_write_attempts(base, hostile_archive["db"], hostile_archive["db"].stem)
    assert [a["how"] for a in r["attempts"] if not a["refused"]] == []
    assert r["file_unchanged"] and not r["owned_file"]


def test_pathological_queries_are_cut_and_the_server_stays_up(hostile_archive, hostile_site):
    base, proc = hostile_site
    for q in site.run_slow_queries(base, hostile_archive["db"].stem)["queries"]:
        assert q["cut"] and q["server_up_after"], q
        assert q["seconds"] < 10  # the 3 s limit, plus scheduling on a busy 2-core machine
    assert proc.poll() is None


def test_raw_snapshot_bytes_are_never_rendered(hostile_archive, hostile_site):
    r = site.run_snapshot_headers(hostile_site[0], hostile_archive["xss_snapshot"])
    assert r["payload_in_bytes"] and r["never_rendered"] and r["nosniff"] and "default-src 'none'" in r["csp"]


@pytest.mark.skipif(site.CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_payloads_render_as_text_in_chromium(hostile_archive, hostile_site, tmp_path):
    from tests.test_browser_site import ARTIFACTS

    pages = site.run_browser(hostile_site[0], hostile_archive, tmp_path / "profile", ARTIFACTS)["pages"]
    assert [p["page"] for p in pages if p["script_ran"] or p["live_payload_tags"]] == []
    stored = [p["page"] for p in pages if p["page"] != "crawled xss report page"]
    assert [p for p in stored if not next(x for x in pages if x["page"] == p)["payload_as_text"]] == []
