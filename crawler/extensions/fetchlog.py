"""Record troubled fetches in the archive's `fetch_log` (archive/fetchlog.py).

The spider sends `fetch_outcome` from its callback (a response that needed
retries) and its errback (a fetch that never succeeded); this extension turns
that into a row: retried / failed / skipped with the reason. The retry
middleware below remembers why each earlier attempt failed, which Scrapy's
own keeps only as a counter.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import archive_db
from crawler.scope import OffScope

fetch_outcome = object()  # signal: request, response=None, failure=None
CHALLENGE_STATUSES = (412,)  # anti-bot JavaScript challenges: never circumvented, so skipped


class RetryReasonMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, keeping each failed attempt's reason in meta['retry_reasons']."""

    def _retry(self, request, reason):
        retried = super()._retry(request, reason)
        if retried is not None:
            text = reason if isinstance(reason, str) else type(reason).__name__
            retried.meta["retry_reasons"] = [*request.meta.get("retry_reasons", []), text]
        return retried


def describe(request, response=None, failure=None) -> tuple[str, str, int | None] | None:
    """(outcome, reason, HTTP status) of a finished fetch, or None for a clean first try."""
    earlier = request.meta.get("retry_reasons") or []
    tries = f" after {len(earlier)} retries ({', '.join(dict.fromkeys(earlier))})" if earlier else ""
    if failure is None:
        if not earlier:
            return None
        return "retried", f"HTTP {response.status}{tries}", response.status
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        if status in CHALLENGE_STATUSES:
            return "skipped", f"HTTP {status} JavaScript challenge (not circumvented)", status
        return "failed", f"HTTP {status}{tries}", status
    if failure.check(OffScope):
        return "skipped", str(exc), None
    if failure.check(IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "skipped", "robots.txt disallows", None
        if "redirect" in text:
            return "failed", f"redirect loop: {text}", None
        return "skipped", text or "ignored", None
    text = str(exc)
    if "max size" in text or "larger than download max size" in text:
        return "skipped", "over the download size limit (DOWNLOAD_MAXSIZE)", None
    return "failed", f"{type(exc).__name__}{tries}", None


class FetchLogExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.record, signal=fetch_outcome)
        return ext

    def spider_opened(self, spider):
        self.db = archive_db.acquire(self.crawler)  # open_archive applies the schema, fetch_log included

    def spider_closed(self, spider, reason):
        if self.db is not None:
            archive_db.release(self.crawler)
            self.db = None

    def record(self, request, response=None, failure=None, spider=None):
        from archive.fetchlog import record_fetch

        verdict = describe(request, response, failure)
        spider = spider or self.crawler.spider
        run_id = getattr(spider, "run_id", None)
        if verdict is None or self.db is None or run_id is None:
            return
        outcome, reason, status = verdict
        # A redirect loop fails at its tenth hop: log the URL the crawler asked for.
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        record_fetch(self.db, run_id=run_id, url=url, site=request.meta.get("site"), outcome=outcome,
                     reason=reason, attempts=request.meta.get("retry_times", 0) + 1, status=status,
                     at=datetime.now(UTC).isoformat(timespec="seconds"))
