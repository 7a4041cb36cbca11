"""A duplicate-request filter whose fingerprints live on disk, not in a Python set.

Scrapy's `RFPDupeFilter` keeps every request fingerprint in a `set` for the
whole crawl (~100 bytes a request: 10 MB at 100k requests, 1 GB at 10M), even
with JOBDIR, where it also appends them to `requests.seen`. This one keeps
them in a SQLite table (a B-tree of 20-byte keys) with a bounded page cache,
plus a small LRU of recent fingerprints in memory (a listing's navigation and
pager links repeat on every page), so memory does not grow with the crawl.

Same semantics as `RFPDupeFilter`: the same request fingerprints
(`crawler.request_fingerprinter`), `request_seen` / `log` / `close`; the
scheduler never asks about `dont_filter` requests.

Where the fingerprints go:

- JOBDIR set (`nianbao crawl` always sets it): `<JOBDIR>/requests.seen.db`, WAL,
  committed every `NIANBAO_DUPEFILTER_BATCH` new fingerprints (default 1000)
  or every second, and at close. A crawl stopped with Ctrl-C resumes with all
  of them; after `kill -9` the last uncommitted batch is lost, which only
  means those pages are fetched again (the archive stores known bytes as a
  sighting). (`nianbao crawl` discards a killed crawl's JOBDIR anyway: Scrapy's
  queue index is only saved at close.) A JOBDIR left by the old filter (a
  `requests.seen` file, binary or the older hex-lines format) is imported
  once, on the first resume, so that resume does not refetch everything.
- no JOBDIR: an anonymous SQLite temporary database (`sqlite3.connect("")`):
  a file SQLite unlinks as soon as it opens it, so nothing is left behind,
  even after `kill -9`; pages beyond the page cache spill to it.

Settings: `NIANBAO_DUPEFILTER_CACHE` (LRU entries, default 20,000, ~3 MB),
`NIANBAO_DUPEFILTER_BATCH`, `DUPEFILTER_DEBUG` as Scrapy's.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from pathlib import Path

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter, referer_str

DB_NAME = "requests.seen.db"
OLD_NAME = "requests.seen"  # RFPDupeFilter's file
CACHE_ENTRIES = 20_000
BATCH = 1000
COMMIT_SECONDS = 1.0
PAGE_CACHE_KB = 2048  # SQLite's page cache for the table (its default, made explicit)


class DiskDupeFilter(BaseDupeFilter):
    """Request fingerprints in SQLite (JOBDIR/requests.seen.db or a temporary database)."""

    def __init__(self, path: str | None = None, debug: bool = False, *, fingerprinter=None,
                 cache_entries: int = CACHE_ENTRIES, batch: int = BATCH, commit_seconds: float = COMMIT_SECONDS):
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.debug = debug
        self.logdupes = True
        self.logger = logging.getLogger(__name__)
        self.cache_entries = max(0, cache_entries)
        self.batch = max(1, batch)
        self.commit_seconds = commit_seconds
        self._cache: OrderedDict[bytes, None] = OrderedDict()
        self._pending = 0
        self._last_commit = time.monotonic()
        self.path = Path(path, DB_NAME) if path else None
        self.conn: sqlite3.Connection | None = sqlite3.connect(str(self.path) if self.path else "",
                                                               isolation_level=None)
        conn = self.conn
        conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KB}")
        if self.path:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # consistent after a crash; a commit does not fsync
        conn.execute("CREATE TABLE IF NOT EXISTS seen (fp BLOB PRIMARY KEY) WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        if path:
            self._import_old(Path(path, OLD_NAME))
        conn.execute("BEGIN")

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(job_dir(settings), settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter,
                   cache_entries=settings.getint("NIANBAO_DUPEFILTER_CACHE", CACHE_ENTRIES),
                   batch=settings.getint("NIANBAO_DUPEFILTER_BATCH", BATCH))

    # --- the filter -----------------------------------------------------------------
    def request_seen(self, request) -> bool:
        return self.seen_fingerprint(self.fingerprinter.fingerprint(request))

    def seen_fingerprint(self, fp: bytes) -> bool:
        """True if `fp` was seen before; records it otherwise."""
        cache = self._cache
        if fp in cache:
            cache.move_to_end(fp)
            return True
        new = self.conn.execute("INSERT OR IGNORE INTO seen (fp) VALUES (?)", (fp,)).rowcount == 1
        if self.cache_entries:
            cache[fp] = None
            if len(cache) > self.cache_entries:
                cache.popitem(last=False)
        if new:
            self._pending += 1
            if self._pending >= self.batch or time.monotonic() - self._last_commit >= self.commit_seconds:
                self.commit()
        return not new

    def commit(self) -> None:
        if self.conn is None:
            return
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")
        self._pending = 0
        self._last_commit = time.monotonic()

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM seen").fetchone()[0]

    def close(self, reason: str = "") -> None:
        if self.conn is None:
            return
        self.conn.execute("COMMIT")
        self.conn.close()  # the last connection: SQLite checkpoints the WAL into the file
        self.conn = None
        self._cache.clear()

    def log(self, request, spider) -> None:
        """As RFPDupeFilter.log: the first duplicate (or every one with DUPEFILTER_DEBUG) at DEBUG."""
        if self.debug:
            msg = "Filtered duplicate request: %(request)s (referer: %(referer)s)"
            self.logger.debug(msg, {"request": request, "referer": referer_str(request)}, extra={"spider": spider})
        elif self.logdupes:
            msg = ("Filtered duplicate request: %(request)s - no more duplicates will be shown"
                   " (see DUPEFILTER_DEBUG to show all duplicates)")
            self.logger.debug(msg, {"request": request}, extra={"spider": spider})
            self.logdupes = False
        spider.crawler.stats.inc_value("dupefilter/filtered")

    # --- a JOBDIR of the old filter ---------------------------------------------------
    def _import_old(self, old: Path) -> None:
        """Fingerprints of RFPDupeFilter's `requests.seen`, once (the import is recorded in `meta`)."""
        conn = self.conn
        if not old.is_file() or conn.execute("SELECT 1 FROM meta WHERE key = 'imported'").fetchone():
            return
        with old.open("rb") as f:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO seen (fp) VALUES (?)", ((fp,) for fp in read_old(f)))
            conn.execute("INSERT INTO meta (key, value) VALUES ('imported', ?)", (str(old),))
            conn.execute("COMMIT")
        self.logger.info("imported %s into %s", old, self.path)


_HEX = frozenset(b"0123456789abcdefABCDEF")


def read_old(f):
    """Fingerprints of a `requests.seen` file, streamed: the Scrapy of this project (2.19)
    writes each as a 2-byte big-endian length and the bytes; older ones a hex digest a line.
    A record cut short by an unclean shutdown is skipped."""
    head = f.read(2)
    f.seek(0)
    if len(head) == 2 and all(b in _HEX for b in head):
        for line in f:
            text = line.strip()
            if text and len(text) % 2 == 0:
                try:
                    yield bytes.fromhex(text.decode("ascii"))
                except (UnicodeDecodeError, ValueError):
                    continue
        return
    while True:
        size = f.read(2)
        if len(size) < 2:
            return
        fp = f.read(int.from_bytes(size, "big"))
        if len(fp) < int.from_bytes(size, "big"):
            return
        yield fp
