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
from nianbao.vocabulary import fetch_failure, fetch_retried

fetch_outcome = object()  # signal: request, response=None, failure=None


class RetryReasonMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, keeping each failed attempt's reason in meta['retry_reasons']."""

    def _retry(self, request, reason):
        retried = super()._retry(request, reason)
        if retried is not None:
            text = reason if isinstance(reason, str) else type(reason).__name__
            retried.meta["retry_reasons"] = [*request.meta.get("retry_reasons", []), text]
        return retried


def failure_facts(failure) -> dict:
    """The plain facts of a Twisted failure that nianbao.vocabulary.fetch_failure classifies."""
    from twisted.internet.error import DNSLookupError

    exc = failure.value
    facts = {"error": type(exc).__name__, "message": str(exc), "ignored": bool(failure.check(IgnoreRequest)),
             "dns": bool(failure.check(DNSLookupError))}
    if failure.check(HttpError):
        facts["status"] = exc.response.status
    return facts


def describe(request, response=None, failure=None) -> tuple[str, str, int | None] | None:
    """(outcome, reason, HTTP status) of a finished fetch, or None for a clean first try."""
    earlier = request.meta.get("retry_reasons") or []
    if failure is None:
        return fetch_retried(response.status, earlier)
    _site, outcome, reason, status = fetch_failure(**failure_facts(failure), retries=earlier)
    return outcome, reason, status


POST_BODY_CHARS = 300  # of a POST's body in its fetch_log row


def logged_url(request) -> str:
    """What fetch_log keys a fetch by: the URL the crawler asked for (a redirect loop fails
    at its tenth hop), and for a POST its body too — the pages of a POSTed list or form
    pager share one URL, and each is a fetch of its own."""
    url = (request.meta.get("redirect_urls") or [request.url])[0]
    if request.method == "POST" and request.body:
        url += " POST " + request.body[:POST_BODY_CHARS].decode("utf-8", "replace")
    return url


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
        record_fetch(self.db, run_id=run_id, url=logged_url(request), site=request.meta.get("site"), outcome=outcome,
                     reason=reason, attempts=request.meta.get("retry_times", 0) + 1, status=status,
                     at=datetime.now(UTC).isoformat(timespec="seconds"))
