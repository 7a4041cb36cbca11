"""Per-site counters and the status a crawl concludes for each site.

Kept in `spider.state`, which Scrapy pickles into JOBDIR when a crawl stops,
so a resumed crawl reports the same statuses as an uninterrupted one.
"""

from __future__ import annotations

# Outcomes of a site's start requests (portal root, registered columns).
START_OUTCOMES = ("ok", "not_found", "robots", "blocked", "error")


def empty() -> dict:
    return {"pages": 0, "reports": 0, "errors": 0, "starts": {}, "details": [], "pending": 0}


class SiteStats:
    def __init__(self, state: dict, slugs: list[str]):
        self.sites: dict[str, dict] = state.setdefault("sites", {})
        for slug in slugs:
            self.sites.setdefault(slug, empty())

    def _s(self, slug: str) -> dict:
        return self.sites.setdefault(slug, empty())

    def page(self, slug: str) -> None:
        self._s(slug)["pages"] += 1

    def report(self, slug: str) -> None:
        self._s(slug)["reports"] += 1

    def error(self, slug: str, detail: str) -> None:
        s = self._s(slug)
        s["errors"] += 1
        if len(s["details"]) < 5:  # a few examples are enough to debug a site
            s["details"].append(detail)

    def failed(self, slug: str, reason: str) -> None:
        """The crawl stopped because the archive could not be written (crawler/storage.py)."""
        self._s(slug)["storage"] = reason

    def start(self, slug: str, url: str, outcome: str, *, column: bool) -> None:
        self._s(slug)["starts"][url] = (outcome, column)

    def status(self, slug: str) -> tuple[str, str]:
        """(status, detail) for the archive's site_status table."""
        s = self._s(slug)
        outcomes = list(s["starts"].values())
        said = {o for o, _ in outcomes}
        detail = "; ".join(s["details"][:3])
        if s.get("storage"):
            return "error", s["storage"]
        if s["reports"]:
            return "ok", detail
        if "blocked" in said:
            return "blocked", "HTTP 412 JavaScript challenge (not circumvented)"
        if outcomes and said == {"robots"}:
            return "robots_disallowed", "robots.txt disallows the start pages"
        if any(o == "not_found" and col for o, col in outcomes):
            return "not_found", "registered report column answers 404"
        if "ok" in said:
            return "no_reports", "site reachable, no annual report found"
        if "not_found" in said:
            return "not_found", "portal not found"
        return "error", detail or "no start page could be fetched"

    def totals(self) -> dict:
        out = {"sites": len(self.sites), "pages": 0, "reports": 0, "errors": 0}
        for s in self.sites.values():
            for k in ("pages", "reports", "errors"):
                out[k] += s[k]
        return out


def count(crawler, key: str, n: int = 1) -> None:
    """Bump a crawl-run counter (new snapshots, sightings, reports archived) kept in spider.state."""
    spider = getattr(crawler, "spider", None)
    if spider is None:
        return
    if getattr(spider, "state", None) is None:
        spider.state = {}
    counters = spider.state.setdefault("counters", {})
    counters[key] = counters.get(key, 0) + n
