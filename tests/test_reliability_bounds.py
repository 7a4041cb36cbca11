"""Every document is parsed within bounds of memory and time (issue 12, item 3; the
scenarios are tests/reliability/bounds.py; ~2.5 min).

Hostile files built on the spot (tests/hostile.py) through `nianbao parse`, `nianbao
ingest` and a loopback crawl: each run's peak resident memory (workers included) stays
under the parse memory limit, the file gets one line (stderr, or a problem in its
record), the exit status says so, and the next document is still parsed / archived.
"""

from __future__ import annotations

import pytest

from tests import hostile
from tests.reliability.bounds import (
    CRAWL_MEMORY_MB,
    EXPECTED,
    PEAK_MB,
    parse_case,
    run_crawl,
    run_ingest,
    run_memory_limit,
    run_time_limit,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return hostile.write_all(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_is_bounded_and_goes_on(files, name):
    run = parse_case(name, files[name])
    _what, status, line = EXPECTED[name]
    assert run["peak_mb"] < PEAK_MB, f"{name}: peak {run['peak_mb']} MB"
    assert run["code"] == status, run["err"]
    assert run["next_parsed"], run["out"][-500:]
    if status:
        assert run["err"] == f"nianbao parse: {files[name]}: {line}\n"
        assert len(run["records"]) == 1
    else:
        assert run["err"] == ""
        assert run["records"][0]["source"] == str(files[name])
        assert run["said"].startswith(line), run["records"][0]["problems"]
    assert run["held"]


def test_time_limit(tmp_path):
    """A page of 2.4 million elements (38 MB, ~25 s unbounded): stopped at 0.5 s."""
    run = run_time_limit(tmp_path)
    assert run["code"] == 2
    assert run["said"] == f"nianbao parse: {tmp_path / 'big.html'}: parse stopped after 0.5 s (time limit)"
    assert run["next_parsed"] and run["peak_mb"] < PEAK_MB and run["held"]


def test_memory_limit(tmp_path):
    """A 3.5 KB PDF printing one line of 3 million characters: stopped at 300 MB."""
    run = run_memory_limit(tmp_path, 300)
    assert run["code"] == 2
    assert run["said"] == f"nianbao parse: {tmp_path / 'one_line.pdf'}: parse stopped at the memory limit (300 MB)"
    assert run["next_parsed"] and run["peak_mb"] < 300 and run["held"]


def test_ingest_is_bounded(files, tmp_path):
    run = run_ingest(files, tmp_path)
    folder, refused = run["folder"], run["refused"]
    assert run["peak_mb"] < PEAK_MB
    assert run["code"] == 2
    assert run["err"].splitlines() == [f"nianbao ingest: skipped {folder / n}: {EXPECTED[n][2]}" for n in refused]
    assert run["out"].startswith(f"{run['files']} files: 1 reports, {run['files'] - 1 - len(refused)} not reports, "
                                 f"{len(refused)} rejected")
    assert run["reports"] == [("file:in/zz_good.html",)]
    assert run["held"]


def test_crawl_meeting_hostile_files_records_them_and_goes_on(files, tmp_path):
    run = run_crawl(files, tmp_path)
    assert run["code"] == 0, run["err"][-3000:]
    assert "Traceback" not in run["err"]
    assert run["peak_mb"] < 2 * CRAWL_MEMORY_MB, f"crawl peak {run['peak_mb']} MB"
    assert {name: line for name, line in run["recorded"].items() if not line} == {}
    assert run["good_urls"] <= run["reports"] and not run["reports"] & run["refused_urls"]
    assert run["snapshots"] == run["documents"]
    assert run["held"]


def test_a_worker_stuck_past_its_deadline_is_killed_and_replaced(monkeypatch):
    """The watchdog: a worker whose alarm cannot fire (stuck in native code) is killed
    WATCHDOG_GRACE_S after its deadline; the next document gets a new worker."""
    import os

    from parsers import bounded
    from parsers.bounds import OverBound
    from tests.reliability.bounds import GOOD, stuck

    monkeypatch.setattr(bounded, "WATCHDOG_GRACE_S", 1.0)
    parser = bounded.BoundedParser(timeout=1.0)
    try:
        first = parser.call("warm", os.getpid)
        with pytest.raises(OverBound, match=r"^stuck: parse stopped after 1 s \(time limit; worker killed\)$"):
            parser.call("stuck", stuck, 60)
        record = parser.parse(GOOD.read_bytes(), source="good.html")
        assert record["year"] == 2021 and len(record["tables"]["applications"]) > 10
        second = parser.call("after", os.getpid)
        assert second != first  # a new worker
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)  # the stuck one is gone
    finally:
        parser.close()


def test_a_worker_at_the_memory_limit_is_replaced():
    """A parse that meets the memory limit: its line, then a new worker for the next document."""
    import os

    from parsers import bounded
    from tests.reliability.bounds import GOOD

    parser = bounded.BoundedParser(memory=300)
    try:
        first = parser.call("warm", os.getpid)
        with pytest.raises(bounded.MemoryBound, match=r"^one_line\.pdf: parse stopped at the memory limit \(300 MB\)$"):
            parser.parse(hostile.one_line_pdf(), source="one_line.pdf")
        assert parser.parse(GOOD.read_bytes(), source="good.html")["year"] == 2021
        assert parser.call("after", os.getpid) != first
    finally:
        parser.close()


def test_the_crawl_pool_kills_a_stuck_worker_and_records_the_document(tmp_path, monkeypatch):
    """The crawl's worker pool: a worker silent past its deadline is killed with its pool,
    a new pool stores the next document; a document whose worker was killed is stored in
    the crawl process, its failure as its problem."""
    import asyncio

    from scrapy.utils.test import get_crawler

    from crawler.pipelines.store import StorePipeline
    from parsers import bounded
    from parsers.bounds import OverBound
    from tests.crawl_support import q
    from tests.reliability.bounds import GOOD, stuck

    monkeypatch.setattr(bounded, "WATCHDOG_GRACE_S", 1.0)
    db = tmp_path / "a.db"
    crawler = get_crawler(settings_dict={"NIANBAO_DB": str(db), "NIANBAO_PARSE_PROCESSES": "1",
                                         "NIANBAO_PARSE_TIMEOUT": "5"})  # a busy machine's first parse
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    pipe._wait = asyncio.wrap_future  # asyncio's own wait (no Twisted reactor in this test)
    try:
        first = pipe.executor
        with pytest.raises(OverBound, match=r"^http://h/stuck\.pdf: parse stopped after 5 s \(time limit; "
                                            r"worker killed\)$"):
            asyncio.run(pipe._in_worker(stuck, 60, {"url": "http://h/stuck.pdf"}))
        assert pipe.executor is not first
        good = {"url": "http://h/good.html", "site": "h", "body": GOOD.read_bytes(), "status": 200,
                "content_type": "text/html; charset=utf-8", "fetched_at": "2026-12-06T00:00:00+00:00"}
        asyncio.run(pipe.process_item(dict(good)))
        assert q(db, "SELECT year FROM reports WHERE source_url = ?", good["url"]) == [(2021,)]
        killed = {**good, "url": "http://h/killed.html", "body": b"<html>x</html>"}
        why = OverBound("http://h/killed.html: parse stopped after 1 s (time limit; worker killed)")
        pipe._store_here(dict(killed), killed, why)
        assert q(db, "SELECT s.url, p.problem FROM problems p JOIN snapshots s ON s.id = p.snapshot_id"
                     " WHERE p.problem LIKE 'parse failed:%'") == [
            ("http://h/killed.html",
             "parse failed: OverBound: http://h/killed.html: parse stopped after 1 s (time limit; worker killed)")]
    finally:
        pipe.close_spider()


