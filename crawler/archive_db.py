"""One archive connection per crawl, shared by middlewares, pipelines and extensions.

SQLite allows one writer; components of one crawl run in the reactor thread,
so they share a connection instead of queueing on the file lock. Each
component `acquire`s in open_spider/spider_opened and `release`s when done;
the last release closes the connection.
"""

from __future__ import annotations

_OPEN: dict[int, list] = {}  # id(crawler) -> [db, refcount]


def acquire(crawler):
    from archive.store import open_archive  # the archive engineer's module; imported when a crawl opens

    key = id(crawler)
    if key not in _OPEN:
        _OPEN[key] = [open_archive(crawler.settings.get("NIANBAO_DB")), 0]
    _OPEN[key][1] += 1
    return _OPEN[key][0]


def release(crawler) -> None:
    key = id(crawler)
    entry = _OPEN.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        entry[0].conn.close()
        del _OPEN[key]


class ArchivePipelineBase:
    """A pipeline that holds the crawl's shared archive connection while the
    spider is open (acquired in open_spider, released in close_spider)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.db = acquire(self.crawler)

    def close_spider(self, spider=None):
        release(self.crawler)
        self.db = None
