"""`scrapy crawl reports -a province=henan [-a registry=FILE] [-a site=URL] [-a sites=SLUG,SLUG]`.

Visits every registry site of one province: registered report columns first,
then discovery from the portal root. Each response is dispatched to the CMS
family modules (static links, TRS createPageHTML, Hanweb dataproxy, JSON APIs);
report pages and report files are yielded as raw `RawDocument`s for the
pipelines to store, parse and archive. Per-site outcomes go to `SiteStats`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse, TextResponse

from crawler import browser, discovery, documents
from crawler.extensions.fetchlog import failure_facts, fetch_outcome
from crawler.items import RawDocument
from crawler.pages.base import SelectorCountError, expect_count
from crawler.pages.html import HtmlPage
from crawler.registry import Registry, Site, site_from_dict
from crawler.sitestats import SiteStats
from crawler.spiders import hanweb, jsonapi, pagers, static, trs
from crawler.spiders.follow import Follow
from crawler.spiders.sites import SiteFinder
from nianbao.vocabulary import fetch_failure
from parsers.html import page_metadata

# Navigation clicks allowed from a portal root before giving up on a branch:
# root → 政务公开 → 政府信息公开 → 年报 column is 3 on most portals.
NAV_MAX_HOPS = 4
# Listing pages reached by following pager links one after another (static
# 下一页 chains); more than this is a trap (an endless ?page=N), not a column.
MAX_PAGER_CHAIN = 300
# Columns before portals, files before pages: reports are reached early, so a
# crawl stopped half-way has archived something useful.
PRIORITY = {"column": 30, "attachment": 25, "item": 20, "proxy": 15, "api": 15, "script": 15, "pager": 10, "sites": 5,
            "rendered": 5, "nav": 0}
# Files a report page may offer (a report with its tables as separate files, a few
# formats of each); more is not a report's page.
MAX_FILES = 40
# Pages between a listing and a report file (wrapper → download page → file); more is a trap.
MAX_WRAPPERS = 2
# Roles that show a page's HTML leads to more listing; a column page without them and
# without a report link (and with scripts) is rendered in the browser as a last resort.
LISTING_ROLES = ("pager", "api", "proxy", "column")  # column: a framed listing
# Pages that may be rendered: a column or page as reached by navigation, not the
# further pages of a listing whose first page was read (an end page of only decoys).
RENDERED_ROLES = ("column", "nav", "item")
HTML_TYPES = ("text/html", "application/xhtml")


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, province: str | None = None, registry: str | None = None, site: str | None = None,
                 *args, sites: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not province:
            raise ValueError("missing -a province=… (a name like 河南, a slug like henan, or a code like 41)")
        reg = Registry.from_file(registry)
        self.registry = reg  # its other provinces' sites are never discovered as this one's
        self.province = reg.province(province)
        only = [slug.strip() for slug in (sites or "").split(",") if slug.strip()]
        sites = reg.sites_for(province)
        if only:
            # -a sites=slug,slug: one partition of a multi-node crawl (crawler/scrapyd.py).
            unknown = sorted(set(only) - {s.slug for s in sites})
            if unknown:
                raise ValueError(f"not registered in {self.province.slug}: {', '.join(unknown)}")
            sites = [s for s in sites if s.slug in only]
        if site:
            # --site: one registered site (starting at that URL too), or an ad-hoc one.
            matching = [s for s in sites if s.in_scope(site)]
            sites = [s if site in (s.portal, *s.columns) else _with_column(s, site) for s in matching]
            sites = sites or [_ad_hoc(site, self.province)]
        self._sites: dict[str, Site] = {s.slug: s for s in sites}
        self._stats: SiteStats | None = None
        self.finder: SiteFinder | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._dropped, signal=signals.request_dropped)
        # Sites found from links (crawler/spiders/sites.py); not for a --site crawl of one site.
        spider.finder = SiteFinder(spider, crawler.settings)
        spider.finder.enabled = spider.finder.enabled and not kwargs.get("site")
        return spider

    def in_scope(self, url: str, slug: str | None = None, probe: str | None = None) -> bool:
        """Whether this crawl may fetch url for site `slug`; without one (robots.txt, a
        probe of a linked host), for any of its sites, or the probed host under its other
        name (www.x.gov.cn ↔ x.gov.cn, a subdomain). Asked for every request and redirect
        hop (crawler/scope.py)."""
        if slug in self.sites:
            return self.sites[slug].in_scope(url)
        if any(site.in_scope(url) for site in self.sites.values()):
            return True
        host = (urlsplit(url).hostname or "").lower()
        return bool(probe) and (host == probe or host.endswith("." + probe)
                                or host == probe.removeprefix("www.") or f"www.{host}" == probe)

    @property
    def sites(self) -> dict[str, Site]:
        """Registered sites and those discovered so far (restored from JOBDIR state on resume)."""
        if self.finder is not None:
            self.finder.restore(self._sites)
        return self._sites

    @property
    def stats(self) -> SiteStats:
        """Per-site counters in spider.state (persisted in JOBDIR by Scrapy's SpiderState)."""
        state = getattr(self, "state", None)
        if state is None:
            self.state = state = {}
        if self._stats is None or self._stats.sites is not state.get("sites"):
            self._stats = SiteStats(state, list(self.sites))
        return self._stats

    async def start(self):
        for site in self.sites.values():
            for url in (() if self.finder and self.finder.discover_only else site.columns):
                yield self._request(Follow(url, "column"), site, start=True)
            yield self._request(Follow(site.portal, "nav"), site, start=True)

    # --- requests -------------------------------------------------------------------
    def _request(self, f: Follow, site: Site, *, hops: int = 0, start: bool = False,
                 report_title: str = "", chain: int = 0, context: dict | None = None) -> scrapy.Request:
        meta = {"site": site.slug, "role": f.role, "anchor": f.text, "hops": hops, "start": start, "chain": chain,
                "column": f.role in ("column", "pager", "api", "proxy", "rendered"), "report_title": report_title,
                # Only possible reports are asked conditionally: a listing's links are needed every time.
                "conditional": f.role in ("item", "attachment")}
        if context:
            meta["context"] = context
        meta.update(dict(f.meta))
        self.stats.sites[site.slug]["pending"] += 1
        kwargs = {"callback": self.parse, "errback": self.on_error, "meta": meta,
                  "priority": PRIORITY.get(f.role, 0)}
        if f.formdata is not None:  # a POST pager: the page number is a form field
            return scrapy.FormRequest(f.url, formdata=dict(f.formdata), method=f.method, **kwargs)
        if f.body is not None:  # a POSTed JSON API: the body as the page's script sends it
            return scrapy.Request(f.url, method=f.method, body=f.body.encode("utf-8"), headers=dict(f.headers),
                                  **kwargs)
        if f.role == "script":  # read once per page that loads it: each page's configuration differs
            kwargs["dont_filter"] = True
        if f.role == "rendered":  # the same URL again, through the browser (crawler/browser.py)
            kwargs["dont_filter"] = True
        return scrapy.Request(f.url, **kwargs)

    def _follow(self, follows: list[Follow], response, site: Site):
        hops, chain = response.meta.get("hops", 0), response.meta.get("chain", 0)
        finder = self.finder
        for f in follows:
            if not site.in_scope(f.url):
                continue  # other domains: another registry entry (or nobody) covers them
            if finder and finder.claimed_elsewhere(f.url, site):
                yield from finder.hand_over(f, hops, chain)  # to the site whose host it is
                continue
            if finder and finder.over_pages(site.slug, self.stats.sites[site.slug]):
                continue
            if f.role == "nav" and hops + 1 > NAV_MAX_HOPS:
                continue
            if f.role == "pager" and chain + 1 > MAX_PAGER_CHAIN:
                self.stats.error(site.slug, f"pager chain over {MAX_PAGER_CHAIN} pages at {response.url}")
                continue
            yield self._request(f, site, hops=hops + 1 if f.role == "nav" else hops,
                                chain=chain + 1 if f.role == "pager" else chain)

    def _dropped(self, request, spider=None):
        slug = request.meta.get("site")
        if slug in self.sites:
            self.stats.sites[slug]["pending"] -= 1

    def _done(self, meta) -> None:
        self.stats.sites[meta["site"]]["pending"] -= 1

    # --- responses ------------------------------------------------------------------
    def parse(self, response):
        meta = response.meta
        if meta.get("probe") and not meta.get("site"):
            yield from self.finder.on_probe(response)
            return
        site = self.sites[meta["site"]]
        self.stats.page(site.slug)
        if meta.get("retry_reasons"):  # got it in the end: fetch_log says after what
            self.crawler.signals.send_catch_log(fetch_outcome, request=response.request, response=response)
        if meta.get("start"):
            self.stats.start(site.slug, response.request.url, "ok", column=meta["role"] == "column")
        try:
            yield from self._dispatch(response, site)
        except SelectorCountError as exc:
            self.logger.error("page class failed: %s", exc)
            self.stats.error(site.slug, str(exc))
        finally:
            self._done(meta)

    def _dispatch(self, response, site: Site):
        meta, role = response.meta, response.meta["role"]
        if role == "proxy":
            yield from self._follow(hanweb.follow_proxy(response.text, response.url), response, site)
            return
        if role == "script":
            text = response.body.decode(getattr(response, "encoding", None) or "utf-8", "replace")
            yield from self._follow(jsonapi.follow_script(text, meta), response, site)
            return
        if role == "api":
            yield from self._follow(jsonapi.follow_json(response.text, response.url, response.request), response, site)
            return
        kind = _document_kind(response)
        if kind or not _is_html(response):
            title = meta.get("report_title") or meta.get("anchor") or ""
            if kind and (role == "attachment" or discovery.is_report_title(title)):
                yield self._item(response, site, via="attachment", title=title)
            return
        page = HtmlPage(response.text, response.url)
        year = page.report_year()
        if year:
            yield from self._report_page(response, page, site)
            return
        column = meta.get("column") or page.is_column()
        if role in ("item", "attachment") and not column:
            title = meta.get("report_title") or meta.get("anchor") or ""
            if discovery.is_report_title(title) and meta.get("wrapped", 0) < MAX_WRAPPERS:
                # listed as a report, titled as something else (an attachment page, a
                # download page between a wrapper and its file): its files are the report
                yield from self._wrapped_files(response, page, site, _files(page, site), title=title)
            return  # a decoy, notice or news item: nothing below it leads to reports
        if self.finder:
            yield from self.finder.on_page(page, response, site)
            if self.finder.discover_only:
                return
        follows = static.follow(page.links(), column=column)
        # a page shown in a frame is part of this one: a column's listing, or more navigation
        follows += [Follow(link.url, "column" if column else "nav") for link in page.frames()]
        if column:
            follows += trs.follow(page) + hanweb.follow(response.text, response.url)
            follows += jsonapi.follow(page, response.text)
            follows += pagers.follow(page, response) + browser.json_follows(response)
            if role in RENDERED_ROLES and not any(_lists_something(f) for f in follows):
                follows += jsonapi.script_follows(page)  # the page's own scripts may name its API
                follows += browser.follow(page, response, self, site)
            if role == "column" and not any(f.role != "nav" for f in follows):
                # A registered column with nothing in it: a redesign the page classes do not know.
                self.logger.warning("%s: column %s lists no entries", site.slug, response.url)
        yield from self._follow(follows, response, site)

    def _report_page(self, response, page: HtmlPage, site: Site):
        files = _files(page, site)
        if files and page.is_wrapper():
            if response.meta.get("wrapped", 0) < MAX_WRAPPERS:
                yield from self._wrapped_files(response, page, site, files, title=page.title)
            return
        yield self._item(response, site, via="page", title=page.title)

    def _wrapped_files(self, response, page: HtmlPage, site: Site, files: list, *, title: str):
        """Requests for the files a wrapper page links, frames or shows in a viewer. The
        report is the file; the page around it is context: its title, date and body go
        to the report, the page itself is never archived as the report."""
        expect_count(files, "files of a wrapper page", response.url, high=MAX_FILES)  # else it is no wrapper
        context = response.meta.get("context") or {
            "page": response.url, **page_metadata(response.text), "site_name": site.name}
        wrapped = (("wrapped", response.meta.get("wrapped", 0) + 1),)
        for link in files:
            if self.finder and self.finder.over_pages(site.slug, self.stats.sites[site.slug]):
                return  # NIANBAO_MAX_PAGES_PER_SITE, as for every other request of the site
            yield self._request(Follow(link.url, "attachment", link.text, meta=wrapped), site,
                                hops=response.meta.get("hops", 0), report_title=title, context=context)

    def _item(self, response, site: Site, *, via: str, title: str) -> RawDocument:
        self.stats.report(site.slug)
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        ctype = headers.get("Content-Type", "")
        if isinstance(response, TextResponse) and _is_html(response):
            ctype = f"{ctype.split(';')[0].strip() or 'text/html'}; charset={response.encoding}"
        context = {**(response.meta.get("context") or {}), "site_name": site.name}
        return RawDocument(
            url=response.url, site=site.slug, site_code=site.code, status=response.status, headers=headers,
            body=response.body, content_type=ctype, filename=_filename(response),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            title=title, year_hint=discovery.report_year(title), via=via,
            referer=(response.request.headers.get("Referer") or b"").decode("latin-1"),
            not_modified=bool(response.meta.get("not_modified")), request=response.request, context=context,
        )

    def on_error(self, failure):
        request = failure.request
        meta = request.meta
        slug = meta.get("site")
        if meta.get("probe") and not slug:
            self.finder.on_probe_failed(request, _classify_failure(failure)[0])
            return
        if slug not in self.sites:
            return
        outcome, detail = _classify_failure(failure)
        self.crawler.signals.send_catch_log(fetch_outcome, request=request, failure=failure)
        if meta.get("start"):
            self.stats.start(slug, request.url, outcome, column=meta.get("role") == "column")
        if outcome != "robots":
            self.stats.error(slug, f"{detail} {request.url}")
        self.logger.info("%s: %s %s", slug, detail, request.url)
        self._done(meta)


def _classify_failure(failure) -> tuple[str, str]:
    """(site outcome, reason): nianbao.vocabulary.fetch_failure, the rule fetch_log uses too."""
    site_outcome, _log, reason, _status = fetch_failure(**failure_facts(failure),
                                                       retries=failure.request.meta.get("retry_reasons") or [])
    return site_outcome, reason


def _files(page: HtmlPage, site: Site) -> list:
    """What a page links, frames or shows in a viewer that may be a document, in scope."""
    return [link for link in page.attachment_links() + page.embedded() if site.in_scope(link.url)]


def _lists_something(f: Follow) -> bool:
    return f.role in LISTING_ROLES or (f.role in ("item", "attachment") and discovery.is_report_title(f.text))


def _document_kind(response) -> str | None:
    """pdf, docx, doc, wps, ofd, xls… when the response is a document, judged by its bytes,
    Content-Type and Content-Disposition (crawler/documents.py), never by its URL alone."""
    return documents.document_kind(response.headers, response.body, response.url)


def _is_html(response) -> bool:
    """An HTML page, even when sent as application/octet-stream (Scrapy sniffs the URL and
    the bytes for that); attachment URLs are documents whatever their headers say."""
    if discovery.is_attachment(response.url):
        return False
    if isinstance(response, HtmlResponse):
        return True
    ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
    return isinstance(response, TextResponse) and ctype.startswith(HTML_TYPES)


def _filename(response) -> str:
    """The document's file name, with its kind's extension when the name has none
    (parsers sniff bytes anyway; the name is what a reader of the archive sees)."""
    name = documents.filename(response.headers, response.url)
    kind = _document_kind(response)
    if kind and not name.lower().endswith("." + kind):
        name = f"{name or 'document'}.{kind}"
    return name


def _ad_hoc(url: str, province: Site) -> Site:
    host = (urlsplit(url).hostname or "site").replace(".", "-")
    slug = re.sub(r"[^a-z0-9-]", "", host.lower()) or "site"
    return site_from_dict({"slug": slug, "name": host, "code": province.code, "level": "city",
                           "portal": url, "columns": [url] if discovery.is_column_url(url) else []})


def _with_column(site: Site, url: str) -> Site:
    """`--site` named a page of a registered site: start there too."""
    d = site.as_dict()
    d["columns"] = [*d["columns"], url]
    return site_from_dict(d)
