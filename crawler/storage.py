"""When the archive's disk fills up: stop the crawl and say so.

A crawl writes to one disk three ways: the archive, its WAL (folded back into
the archive when a connection closes: that needs room as large as the WAL) and
the resume state (JOBDIR: Scrapy's queue, the seen requests). Met by a full
disk, each fails somewhere else — Scrapy's queue, the dupefilter, a save — and
the resume state comes out half written. So the crawl stops *before* the disk
is full: each document is stored only while the archive's and JOBDIR's disks
have more than `NIANBAO_MIN_FREE_MB` plus the WAL's size free
(archive.store.low_space, the rule `nianbao ingest` keeps too).
Below that, or when a save fails anyway (another process filled the disk),
the crawl stops (close reason `storage_failed`): one line on stderr from
`nianbao crawl`, a non-zero exit, the resume state kept, and the failure
recorded where a crawl's outcome is read — the site's status (error, with the
reason) and the document's fetch_log row.

A resume state is only trusted when the close wrote it whole: `ResumeStateGuard`
removes the copies Scrapy loaded (the queue index, the spider state) once the
crawl is open, so a close that could not write them leaves them missing, and
`nianbao crawl` then starts the next run afresh instead of resuming a queue
that lost requests (documents already archived are not stored twice).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

REASON = "storage_failed"  # the spider's close reason
# Scrapy's resume state, rewritten whole at every close: the queue index and the spider state.
STATE_FILES = ("requests.queue/active.json", "spider.state")


def room(settings) -> tuple[str, str | None, float]:
    """What archive.store.low_space needs of the settings (picklable: the workers check it)."""
    return (str(settings.get("NIANBAO_DB")), settings.get("JOBDIR") or None,
            float(settings.get("NIANBAO_MIN_FREE_MB", 64)))


def stop(crawler, item, reason: str) -> None:
    """Mark the failure and close the spider (once). The failure is recorded when the
    store pipeline closes (`record`), after the documents in flight."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    crawler.nianbao_failure = reason
    crawler.nianbao_failed_at = {k: item.get(k) for k in ("url", "site", "status")}
    logger.info("%s (at %s): stopping the crawl", reason, item.get("url"))
    spider = crawler.spider
    if getattr(spider, "stats", None) is not None and item.get("site"):
        spider.stats.failed(item["site"], reason)  # site_status, written at close
    reactor.callLater(0, lambda: deferred_from_coro(crawler.engine.close_spider_async(reason=REASON)))


def requeue(crawler, item) -> None:
    """A document fetched but not stored goes back to the scheduler (saved with the
    resume state at close): its URL is already seen, so nothing else would fetch it again."""
    request = item.get("request")
    slot = getattr(crawler.engine, "_slot", None)
    if request is None or slot is None:
        return
    slot.scheduler.enqueue_request(request.replace(dont_filter=True))


def record(crawler) -> None:
    """The failed document's fetch_log row (after the documents in flight)."""
    from archive.fetchlog import record_fetch
    from crawler import archive_db

    failed, run_id = getattr(crawler, "nianbao_failed_at", None), getattr(crawler.spider, "run_id", None)
    if failed is None or run_id is None:
        return
    db = archive_db.acquire(crawler)
    try:
        record_fetch(db, run_id=run_id, url=failed["url"], site=failed["site"], outcome="failed",
                     reason=crawler.nianbao_failure, attempts=1, status=failed["status"],
                     at=datetime.now(UTC).isoformat(timespec="seconds"))
    except Exception as exc:  # the disk is full to the last byte: the one line on stderr says it all
        logger.error("could not record the failure in fetch_log: %s", exc)
    finally:
        archive_db.release(crawler)


def state_is_whole(jobdir: Path) -> bool:
    """The close wrote Scrapy's resume state (see ResumeStateGuard): the queue index, the
    spider state, and every disk queue's own index readable."""
    jobdir = Path(jobdir)
    if not all((jobdir / name).exists() for name in STATE_FILES):
        return False
    try:
        for info in (jobdir / "requests.queue").rglob("info.json"):
            json.loads(info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


class ResumeStateGuard:
    """Once the crawl is open (the state loaded), remove the loaded copies of the resume
    state: only a close that writes them again leaves a state to resume from."""

    def __init__(self, crawler):
        self.jobdir = crawler.settings.get("JOBDIR")

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider=None):
        if self.jobdir:
            for name in STATE_FILES:
                (Path(self.jobdir) / name).unlink(missing_ok=True)
