"""Record the crawl run and each site's status in the archive.

The run id lives in spider.state, so a crawl stopped and resumed from its
JOBDIR completes the same run. Site statuses are upserted at every close
(a stopped crawl shows how far it got); the run is finished only when the
crawl finishes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from scrapy import signals

from crawler import archive_db


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SiteStatusExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        from archive.store import start_crawl_run

        if not hasattr(spider, "stats") or not hasattr(spider, "province"):
            return
        self.db = archive_db.acquire(self.crawler)
        state = spider.state if getattr(spider, "state", None) is not None else {}
        if not state.get("run_id"):
            province = spider.province.name.removesuffix("人民政府")
            state["run_id"] = start_crawl_run(self.db, province=province, started_at=_now())
        spider.state = state
        spider.run_id = state["run_id"]

    def spider_closed(self, spider, reason):
        from archive.store import finish_crawl_run, save_site_status

        self.crawler.nianbao_close_reason = reason
        if self.db is None:
            return
        try:
            statuses = Counter()
            finder = getattr(spider, "finder", None)
            # A discovery-only job (crawler/scrapyd.py) looked for sites, not reports: no site verdicts.
            for slug in () if finder is not None and finder.discover_only else spider.sites:
                status, detail = spider.stats.status(slug)
                s = spider.stats.sites[slug]
                statuses[status] += 1
                save_site_status(self.db, run_id=spider.run_id, site=slug, status=status, pages=s["pages"],
                                 reports=s["reports"], errors=s["errors"], detail=detail)
            if finder is not None:  # the sites the crawl knows: registered, discovered, left alone
                from archive.sites import save_sites

                save_sites(self.db, finder.rows(), run_id=spider.run_id, seen_at=_now())
            if reason == "finished":
                stats = {**spider.stats.totals(), "statuses": dict(statuses),
                         **spider.state.get("counters", {}), **(finder.summary() if finder else {})}
                finish_crawl_run(self.db, spider.run_id, finished_at=_now(), stats=stats)
        finally:
            archive_db.release(self.crawler)
            self.db = None
