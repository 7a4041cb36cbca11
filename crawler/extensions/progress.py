"""Live progress of a long crawl: sites done/total, pages, reports found, errors.

Printed to stderr every NIANBAO_PROGRESS_INTERVAL seconds (0 turns it off),
and once more when the crawl closes.
"""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressExtension:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop = None
        self.spider = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 5.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        if not hasattr(spider, "stats") or not hasattr(spider, "sites"):
            return
        self.spider = spider
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def line(self) -> str:
        spider = self.spider
        sites = spider.stats.sites
        started = [s for s in sites.values() if s["pages"] or s["errors"] or s["starts"]]
        done = sum(1 for s in started if s["pending"] <= 0)
        t = spider.stats.totals()
        finder = getattr(spider, "finder", None)
        found = len(finder.state["sites"]) if finder is not None else 0
        return (f"[crawl {spider.province.slug}] sites {done}/{len(spider.sites)} done"
                + (f" ({found} found)" if found else "")
                + f" · pages {t['pages']} · reports found {t['reports']} · errors {t['errors']}")

    def report(self) -> None:
        print(self.line(), file=sys.stderr, flush=True)

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.spider is not None:
            print(f"{self.line()} · {reason}", file=sys.stderr, flush=True)
