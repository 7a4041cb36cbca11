"""The disk-backed dupefilter (crawler/dupefilter.py): same answers as Scrapy's
RFPDupeFilter, fingerprints persisted in JOBDIR, memory flat in the number of
fingerprints, and a crawl stopped with Ctrl-C resumes without fetching any page twice."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
import yaml
from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.test import get_crawler

from benchmarks import crawl_web
from crawler.dupefilter import DB_NAME, DiskDupeFilter, read_old
from nianbao.commands.crawl import default_jobdir
from sandbox import server, world
from tests.crawl_support import FAST, interrupt_after, q

ROOT = Path(__file__).resolve().parents[1]


def fp(i: int) -> bytes:
    return hashlib.sha1(str(i).encode()).digest()


def test_seen_and_unseen_as_rfpdupefilter():
    ours, theirs = DiskDupeFilter(), RFPDupeFilter()
    urls = ["http://a.gov.cn/", "http://a.gov.cn/?b=1&a=2", "http://a.gov.cn/?a=2&b=1",  # canonical: same
            "http://a.gov.cn/#frag", "http://a.gov.cn/x", "http://a.gov.cn/"]
    requests = [Request(u) for u in urls] + [Request("http://a.gov.cn/", method="POST", body=b"x"),
                                             Request("http://a.gov.cn/", method="POST", body=b"x")]
    assert [ours.request_seen(r) for r in requests] == [theirs.request_seen(r) for r in requests] \
        == [False, False, True, True, False, True, False, True]
    assert len(ours) == 4
    ours.close("finished")


def test_scheduler_filters_duplicates_but_not_dont_filter(tmp_path):
    """Through Scrapy's scheduler, as in a crawl: a duplicate is dropped and counted, a
    dont_filter request is queued again (the scheduler does not even ask the filter)."""
    crawler = get_crawler(Spider, settings_dict={
        "DUPEFILTER_CLASS": "crawler.dupefilter.DiskDupeFilter", "JOBDIR": str(tmp_path),
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})  # the default one needs an engine
    spider = Spider.from_crawler(crawler, name="t")
    crawler.spider = spider
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    assert isinstance(scheduler.df, DiskDupeFilter)
    queued = [scheduler.enqueue_request(r) for r in (
        Request("http://a.gov.cn/"), Request("http://a.gov.cn/"), Request("http://a.gov.cn/", dont_filter=True))]
    assert queued == [True, False, True]
    assert len(scheduler) == 2 and crawler.stats.get_value("dupefilter/filtered") == 1
    assert len(scheduler.df) == 1  # the dont_filter request was not recorded either
    scheduler.close("shutdown")
    assert (tmp_path / DB_NAME).is_file()


def test_cache_off_and_tiny_give_the_same_answers(tmp_path):
    answers = []
    for entries in (0, 3, 20_000):
        df = DiskDupeFilter(cache_entries=entries)
        answers.append([df.seen_fingerprint(fp(i % 50)) for i in range(200)])
        assert len(df) == 50
        df.close()
    assert answers[0] == answers[1] == answers[2] == [False] * 50 + [True] * 150


def test_persists_across_reopen_in_jobdir(tmp_path):
    df = DiskDupeFilter(str(tmp_path), batch=7)
    assert [df.seen_fingerprint(fp(i)) for i in range(100)] == [False] * 100
    df.close("shutdown")
    assert (tmp_path / DB_NAME).is_file()
    again = DiskDupeFilter(str(tmp_path))
    assert all(again.seen_fingerprint(fp(i)) for i in range(100))
    assert not again.seen_fingerprint(fp(100))
    assert len(again) == 101
    again.close()


def test_from_crawler_uses_jobdir_and_is_the_project_setting(tmp_path):
    from crawler import settings

    assert settings.DUPEFILTER_CLASS == "crawler.dupefilter.DiskDupeFilter"
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path / "job")})
    df = DiskDupeFilter.from_crawler(crawler)
    assert not df.request_seen(Request("http://a.gov.cn/"))
    df.close("finished")
    assert (tmp_path / "job" / DB_NAME).is_file()


def test_without_jobdir_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    df = DiskDupeFilter(batch=10)
    for i in range(5000):
        df.seen_fingerprint(fp(i))
    assert list(tmp_path.iterdir()) == []  # SQLite unlinks its temporary database when it opens it
    df.close()
    assert list(tmp_path.iterdir()) == []


def test_kill_9_keeps_committed_fingerprints(tmp_path):
    """A process killed with -9 after 2,500 new fingerprints (batches of 1,000): the file
    opens cleanly and holds at least the committed 2,000; the rest would only be fetched again."""
    script = textwrap.dedent(f"""
        import hashlib, os, signal
        from crawler.dupefilter import DiskDupeFilter
        df = DiskDupeFilter({str(tmp_path)!r}, batch=1000, commit_seconds=3600)
        for i in range(2500):
            df.seen_fingerprint(hashlib.sha1(str(i).encode()).digest())
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    df = DiskDupeFilter(str(tmp_path))
    assert 2000 <= len(df) <= 2500
    assert all(df.seen_fingerprint(fp(i)) for i in range(2000))
    df.close()


@pytest.mark.parametrize("fmt", ["binary", "hex"])
def test_imports_the_old_requests_seen_once(tmp_path, fmt):
    """A JOBDIR stopped under RFPDupeFilter resumes with its fingerprints (both file formats)."""
    old = tmp_path / "requests.seen"
    if fmt == "binary":  # what Scrapy 2.19 writes; the last record cut short by a kill
        old.write_bytes(b"".join(len(fp(i)).to_bytes(2, "big") + fp(i) for i in range(300)) + b"\x00\x14abc")
    else:  # older Scrapy: one hex digest a line
        old.write_text("".join(fp(i).hex() + "\n" for i in range(300)))
    with old.open("rb") as f:
        assert list(read_old(f)) == [fp(i) for i in range(300)]
    df = DiskDupeFilter(str(tmp_path))
    assert len(df) == 300 and df.seen_fingerprint(fp(299)) and not df.seen_fingerprint(fp(300))
    df.close()
    old.write_text(fp(999).hex() + "\n")  # written after the import: not imported again
    df = DiskDupeFilter(str(tmp_path))
    assert len(df) == 301 and not df.seen_fingerprint(fp(999))
    df.close()


def test_memory_does_not_grow_with_fingerprints(tmp_path):
    """200k fingerprints: Python-side memory stays at the LRU's size (a full LRU at 50k
    and at 200k alike; RFPDupeFilter's set takes ~20 MB for the same), and the process's
    RSS grows by no more than the SQLite page cache."""
    n, cache = 200_000, 5_000
    df = DiskDupeFilter(str(tmp_path), cache_entries=cache)
    tracemalloc.start()
    rss_before = _rss_kb()
    for i in range(50_000):
        df.seen_fingerprint(fp(i))
    at_50k = tracemalloc.get_traced_memory()[0]
    for i in range(50_000, n):
        df.seen_fingerprint(fp(i))
    assert df.seen_fingerprint(fp(17)) and df.seen_fingerprint(fp(n - 1))
    at_200k = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rss_grown = _rss_kb() - rss_before
    assert len(df) == n
    df.close()
    assert at_200k < 2 * 1024 * 1024, at_200k  # bytes: the LRU of 5,000 (~170 bytes each), nothing more
    assert abs(at_200k - at_50k) < 64 * 1024, (at_50k, at_200k)  # 150k more fingerprints: no growth
    assert rss_grown < 8 * 1024, rss_grown  # kB: the 2 MB page cache and allocator slack

    theirs = RFPDupeFilter()
    tracemalloc.start()
    for i in range(n):
        theirs._fingerprints.add(fp(i))
    set_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert set_bytes > 15 * 1024 * 1024  # what Scrapy's set costs for the same 200k


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    return 0


# --- a real crawl, stopped and resumed -----------------------------------------------

@pytest.fixture(scope="module")
def sandbox():
    # Every report an HTML page: no PDF rendered on demand that a loaded machine could time out.
    handle = server.start(world=crawl_web.build(0, seed=3, html_only=True))
    yield handle
    handle.stop()


def test_resumed_crawl_fetches_no_page_twice(sandbox, tmp_path):
    registry = tmp_path / "registry.yml"
    registry.write_text(yaml.safe_dump({"sites": world.registry_entries(sandbox)}, allow_unicode=True),
                        encoding="utf-8")
    db = tmp_path / "a.db"
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(registry),
           "--db", str(db), "--progress", "0", *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    sandbox.requests.clear()
    returncode, err = interrupt_after(cmd, db, 40, cwd=ROOT, timeout=90)
    assert returncode == 1, err[-2000:]
    jobdir = default_jobdir(db, "henan")
    assert (jobdir / DB_NAME).is_file() and not (jobdir / "requests.seen").exists()
    first = list(sandbox.requests)

    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming" in again.stderr
    second = list(sandbox.requests)[len(first):]

    def fetched(log):
        return [(slug, method, path) for slug, method, path, _status in log if not path.startswith("/robots.txt")]

    assert first and second
    twice = set(fetched(first)) & set(fetched(second))
    assert twice == set(), sorted(twice)[:10]
    reports = q(db, "SELECT count(*) FROM reports")[0][0]
    assert reports == len(world.expected_reports(sandbox.world, "henan"))
