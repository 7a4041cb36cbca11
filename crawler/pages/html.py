"""Any HTML page: its title, its links, and whether it is a report.

Examples: tests/fixtures/crawler/static_index.html (portal root),
static_column.html (plain listing paged with index_N.html),
report_page.html (a report with a PDF copy attached).
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

from parsel import Selector

from crawler import discovery
from crawler.pages.base import Link, expect_count

# Where CMSs print an article's title, most specific first: TRS and Hanweb
# both emit <meta name="ArticleTitle">; headings next; <title> last because
# it usually carries the site name too.
TITLE_SELECTORS = (
    "meta[name=ArticleTitle]::attr(content)",
    "meta[name=articletitle]::attr(content)",
    "h1 ::text",
    ".article-title ::text, .title ::text, .bt ::text",
    "h2 ::text",
    "title::text",
)
LINK_SELECTOR = "a[href], area[href]"
# Links at most this many per page: a listing page with more is not a listing.
MAX_LINKS = 5000
# Headings of the report's parts (2019/2021 and pre-2019 templates); a page
# printing two of them carries the report text itself.
REPORT_PARTS = tuple(re.compile(p) for p in (
    r"主动公开政府信息", r"收到和处理政府信息公开申请|依申请公开政府信息", r"行政复议", r"存在的主要问题|改进情况",
))
BREADCRUMB = ".breadcrumb ::text, .crumb ::text, .position ::text, .location ::text, .dqwz ::text"


class HtmlPage:
    def __init__(self, text: str, url: str):
        self.url = url
        self.sel = Selector(text=text or "<html></html>")
        base = self.sel.css("base::attr(href)").get()
        self.base = urljoin(url, base) if base else url
        self._titles: tuple[str, ...] | None = None

    def titles(self) -> list[str]:
        if self._titles is None:  # asked for up to three times per page (title, report_year, is_column)
            texts = (discovery.clean(" ".join(self.sel.css(css).getall())) for css in TITLE_SELECTORS)
            self._titles = tuple(text for text in texts if text)
        return list(self._titles)

    @property
    def title(self) -> str:
        t = self.titles()
        return t[0] if t else ""

    def report_year(self) -> int | None:
        """The year of the report this page is, judged by its title(s)."""
        for t in self.titles():
            year = discovery.report_year(t)
            if year:
                return year
        return None

    def is_column(self) -> bool:
        """An annual-report column: URL shape, heading or breadcrumb says 年报."""
        if discovery.is_column_url(self.url):
            return True
        heads = " ".join(self.sel.css(f"title::text, h1 ::text, h2 ::text, {BREADCRUMB}").getall())
        return bool(discovery.COLUMN_TEXT.search(heads)) and self.report_year() is None

    def links(self) -> list[Link]:
        out, seen = [], set()
        for a in self.sel.css(LINK_SELECTOR):
            href = (a.attrib.get("href") or "").strip()
            if not href or href.startswith("#"):
                continue
            url = urldefrag(urljoin(self.base, href))[0]
            text = discovery.clean(" ".join(a.css("::text").getall())) or discovery.clean(a.attrib.get("title"))
            title = discovery.clean(a.attrib.get("title"))
            if title and len(title) > len(text):
                text = title  # listings truncate long titles in the text but keep them in title=
            if (url, text) in seen:
                continue
            seen.add((url, text))
            out.append(Link(url, text))
        return expect_count(out, "links", self.url, high=MAX_LINKS)

    def is_wrapper(self) -> bool:
        """A report title over a page that only links the report file: the
        article page TRS and Hanweb put around an attached PDF/Word report."""
        text = "".join(self.sel.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall())
        return sum(1 for part in REPORT_PARTS if part.search(text)) < 2

    def scripts(self) -> str:
        return "\n".join(self.sel.css("script::text").getall())
