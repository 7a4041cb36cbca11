"""When the archive cannot be written (disk full): stop the crawl and say so.

No later save can succeed once the disk is full, so the first failed save stops
the crawl (close reason `storage_failed`): one line on stderr from `nianbao
crawl`, a non-zero exit, the resume state kept, and the failure recorded where
a crawl's outcome is read — the site's status (error, with the reason) and the
document's fetch_log row. Those last writes need a little room: a crawl keeps
a space reserve in its JOBDIR (on the archive's disk by default) and deletes it
before writing them; Scrapy's own resume state is written after that.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

REASON = "storage_failed"  # the spider's close reason
RESERVE = "space-reserve"
RESERVE_BYTES = 1 << 20


def _reserve_path(settings) -> Path | None:
    jobdir = settings.get("JOBDIR")
    return Path(jobdir) / RESERVE if jobdir else None


def reserve(settings) -> None:
    """Write the reserve (real blocks, not a sparse file); a disk already full goes without."""
    path = _reserve_path(settings)
    if path is None or path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * RESERVE_BYTES)
    except OSError:
        path.unlink(missing_ok=True)


def release(settings) -> None:
    path = _reserve_path(settings)
    if path is not None:
        path.unlink(missing_ok=True)


def stop(crawler, item, reason: str) -> None:
    """Record the failure, free the reserve and close the spider (once)."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    crawler.nianbao_failure = reason
    logger.error("%s (at %s): stopping the crawl", reason, item.get("url"))
    release(crawler.settings)
    spider = crawler.spider
    site = item.get("site")
    if getattr(spider, "stats", None) is not None and site:
        spider.stats.failed(site, reason)
    _log_fetch(crawler, spider, item, reason)
    reactor.callLater(0, lambda: deferred_from_coro(crawler.engine.close_spider_async(reason=REASON)))


def _log_fetch(crawler, spider, item, reason: str) -> None:
    from archive.fetchlog import record_fetch
    from crawler import archive_db

    run_id = getattr(spider, "run_id", None)
    if run_id is None:
        return
    db = archive_db.acquire(crawler)
    try:
        record_fetch(db, run_id=run_id, url=item["url"], site=item.get("site"), outcome="failed", reason=reason,
                     attempts=1, status=item.get("status"), at=datetime.now(UTC).isoformat(timespec="seconds"))
    except Exception as exc:  # even the reserve did not make room: the one line on stderr says it all
        logger.error("could not record the failure in fetch_log: %s", exc)
    finally:
        archive_db.release(crawler)
