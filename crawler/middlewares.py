"""Downloader middlewares: charset repair and conditional requests."""

from __future__ import annotations

from scrapy import signals
from scrapy.http import TextResponse
from scrapy.responsetypes import responsetypes

from crawler import archive_db
from crawler.charset import repair_encoding


class CharsetMiddleware:
    """Decode pages by what their bytes are, not what their header claims.

    A page served as `charset=utf-8` whose body is GBK would otherwise come out
    as U+FFFD soup, and its report titles would never match.
    """

    def process_response(self, request, response, spider=None):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        fixed = repair_encoding(response.body, response.encoding)
        if fixed and fixed != response.encoding:
            spider_logger(spider).info("charset: %s declared %s, decoded as %s", response.url,
                                       response.encoding, fixed)
            return response.replace(encoding=fixed)
        return response


class ConditionalRequestMiddleware:
    """Ask for possible reports with If-None-Match / If-Modified-Since.

    The validators come from the archive's latest snapshot of the URL. A 304
    is replayed as the archived bytes (flagged `not_modified`), so the spider
    still sees the page's attachment links and the pipelines record a
    sighting instead of a new snapshot.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.enabled = crawler.settings.getbool("NIANBAO_CONDITIONAL", True)

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self, spider=None):
        if self.enabled:
            self.db = archive_db.acquire(self.crawler)

    def spider_closed(self, spider=None):
        if self.db is not None:
            archive_db.release(self.crawler)
            self.db = None

    def process_request(self, request, spider=None):
        if self.db is None or not request.meta.get("conditional") or "known_snapshot" in request.meta:
            return None
        from archive.store import latest_snapshot

        snap = latest_snapshot(self.db, request.url)
        request.meta["known_snapshot"] = snap
        if snap:
            if snap.get("etag"):
                request.headers[b"If-None-Match"] = snap["etag"]
            if snap.get("last_modified"):
                request.headers[b"If-Modified-Since"] = snap["last_modified"]
        return None

    def process_response(self, request, response, spider=None):
        snap = request.meta.get("known_snapshot")
        if response.status != 304 or not snap or self.db is None:
            return response
        from archive.store import read_snapshot_body

        body = read_snapshot_body(self.db, snap["id"])
        row = self.db.execute("SELECT content_type, headers FROM snapshots WHERE id = ?", (snap["id"],)).fetchone()
        headers = dict(response.headers)
        if row and row[0]:
            headers[b"Content-Type"] = row[0].encode("latin-1", "replace")
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        request.meta["not_modified"] = True
        return cls(url=response.url, status=200, headers=headers, body=body, request=request,
                   flags=[*response.flags, "not_modified"])


def spider_logger(spider):
    import logging

    return spider.logger if spider is not None else logging.getLogger(__name__)
