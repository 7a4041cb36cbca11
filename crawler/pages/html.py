"""Any HTML page: its title, its links, and whether it is a report.

Examples: tests/fixtures/crawler/static_index.html (portal root),
static_column.html (plain listing paged with index_N.html),
report_page.html (a report with a PDF copy attached).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import islice
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

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
# Where a page embeds a document instead of linking it.
FRAME_SOURCES = (("iframe", "src"), ("frame", "src"), ("embed", "src"), ("object", "data"),
                 ("iframe", "data-src"), ("embed", "data-src"))
OBJECT_PARAMS = "//object/param[@name='src' or @name='SRC' or @name='file' or @name='url' or @name='movie']"
VIEWER_MAX_DECODE = 3  # viewer.html?file=%252F… is encoded twice; more is nonsense
# Text around an anchor that is read to find the 附件 area (the anchor's parent).
AREA_CHARS = 120
AREA_NODES = 24
PAGE_SUFFIXES = (".html", ".htm", ".shtml", "/")
# Links at most this many per page: a listing page with more is not a listing.
MAX_LINKS = 5000
# Headings of the report's parts (2019/2021 and pre-2019 templates); a page
# printing two of them carries the report text itself.
REPORT_PARTS = tuple(re.compile(p) for p in (
    r"主动公开政府信息", r"收到和处理政府信息公开申请|依申请公开政府信息", r"行政复议", r"存在的主要问题|改进情况",
))
BREADCRUMB = ".breadcrumb ::text, .crumb ::text, .position ::text, .location ::text, .dqwz ::text"
HEAD_SELECTORS = ("title::text", "h1 ::text", "h2 ::text", BREADCRUMB)  # is_column looks for 年报 in these
BODY_TEXT = "//body//text()[not(ancestor::script) and not(ancestor::style)]"

# Discovery runs in the crawl's reactor thread, its bottleneck (docs/scale.md), so
# HTML pages are not queried through parsel's Selector calls (a CSS translation, an
# evaluator and a Selector object per call, one call per link for its text) but
# with XPaths compiled once: the very XPath parsel would evaluate for the CSS
# (HTMLTranslator), or, for groups of class selectors (`.a ::text, .b ::text`),
# the same text nodes found faster (`_class_texts`). Anything that is not an
# HTML tree (a page starting with <?xml) still goes through parsel.
CLASS_PART = re.compile(r"\.([\w-]+) ::text")
XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses


@cache
def _xpath(css: str | None = None, xpath: str | None = None) -> etree.XPath:
    return etree.XPath(xpath or HTMLTranslator().css_to_xpath(css), smart_strings=False)


@cache
def _class_group(css: str) -> tuple[frozenset, etree.XPath] | None:
    """For `.a ::text, .b ::text`: the class tokens, and an XPath of the elements whose
    class attribute contains one of them as a substring (a superset, narrowed in Python)."""
    parts = [CLASS_PART.fullmatch(part.strip()) for part in css.split(",")]
    if not all(parts):
        return None
    tokens = frozenset(m.group(1) for m in parts)
    return tokens, _xpath(xpath="descendant-or-self::*[" + " or ".join(f"contains(@class, '{t}')" for t in sorted(tokens)) + "]")


def _class_texts(root, tokens: frozenset, candidates: etree.XPath) -> list[str]:
    """The text nodes the union of `.token ::text` selects: those under an element with one
    of the tokens in its class, in document order, each once (nested matches included once)."""
    out, last = [], None
    text_of = _xpath("::text")
    for el in candidates(root):  # document order
        if tokens.isdisjoint(XML_SPACE.split(el.get("class", ""))):
            continue
        if last is not None and any(a is last for a in el.iterancestors()):
            continue  # inside the previous match: its text nodes are in already
        out.extend(text_of(el))
        last = el
    return out


@lru_cache(maxsize=8192)
def _absolute(base: str, href: str) -> str:
    """A link's URL (listings repeat their navigation links on every page)."""
    url = urljoin(base, href)
    return urldefrag(url)[0] if "#" in url else url


class HtmlPage:
    def __init__(self, text: str, url: str):
        self.url = url
        self.sel = Selector(text=text or "<html></html>")
        self.root = self.sel.root if self.sel.type == "html" else None  # None: parsel's calls
        base = self._select("base::attr(href)")
        self.base = urljoin(url, base[0]) if base else url
        self._titles: list[str] = []
        self._selectors_done = 0  # titles are computed as far as asked for
        self._year: int | None | bool = False  # False: not computed yet
        self._links: list[Link] | None = None

    def _select(self, css: str) -> list[str]:
        """What parsel's `sel.css(css).getall()` returns, for attribute and text selectors."""
        if self.root is None:
            return self.sel.css(css).getall()
        group = _class_group(css)
        return _class_texts(self.root, *group) if group else _xpath(css)(self.root)

    def _each_title(self):
        """The page's non-empty titles, most specific first, each selector evaluated once
        and only when needed (a report page's first title usually names its year)."""
        i = 0
        while True:
            if i < len(self._titles):
                yield self._titles[i]
                i += 1
            elif self._selectors_done < len(TITLE_SELECTORS):
                css = TITLE_SELECTORS[self._selectors_done]
                self._selectors_done += 1
                text = discovery.clean(" ".join(self._select(css)))
                if text:
                    self._titles.append(text)
            else:
                return

    def titles(self) -> list[str]:
        return list(self._each_title())

    @property
    def title(self) -> str:
        return next(self._each_title(), "")

    def report_year(self) -> int | None:
        """The year of the report this page is, judged by its title(s)."""
        if self._year is False:
            self._year = next((year for year in map(discovery.report_year, self._each_title()) if year), None)
        return self._year

    def is_column(self) -> bool:
        """An annual-report column: URL shape, heading or breadcrumb says 年报."""
        if discovery.is_column_url(self.url):
            return True
        # (parsel joined all these texts with spaces and searched that: the same, as
        # the pattern has no space in it)
        said = any(discovery.COLUMN_TEXT.search(t) for css in HEAD_SELECTORS for t in self._select(css))
        return said and self.report_year() is None

    def links(self) -> list[Link]:
        if self._links is None:  # asked for by several readers of one page
            self._links = self._read_links()
        return self._links

    def _read_links(self) -> list[Link]:
        out, seen = [], set()
        anchors = (_xpath(LINK_SELECTOR)(self.root) if self.root is not None
                   else [a.root for a in self.sel.css(LINK_SELECTOR)])
        text_of = _xpath("::text")
        for a in anchors:
            href = (a.get("href") or "").strip()
            if not href or href.startswith("#"):
                continue
            url = _absolute(self.base, href)
            title = discovery.clean(a.get("title"))
            text = discovery.clean(" ".join(text_of(a))) or title
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
        texts = (_xpath(xpath=BODY_TEXT)(self.root) if self.root is not None
                 else self.sel.xpath(BODY_TEXT).getall())
        text = "".join(texts)
        return sum(1 for part in REPORT_PARTS if part.search(text)) < 2

    def scripts(self) -> str:
        return "\n".join(self._select("script::text"))

    def script_sources(self) -> list[str]:
        """The URLs of the page's external scripts, in order."""
        return [_absolute(self.base, src.strip()) for src in self._select("script[src]::attr(src)") if src.strip()]

    def frames(self) -> list[Link]:
        """Pages shown in <iframe>/<frame>: an old portal's column often holds its
        listing in one (documents in frames are `embedded`'s)."""
        if self.root is None:
            return []
        out = []
        for el in _xpath(xpath="//iframe[@src] | //frame[@src]")(self.root):
            url = _absolute(self.base, el.get("src").strip())
            if not (discovery.is_skipped(url) or discovery.is_download(url) or viewer_target(url)):
                out.append(Link(url, ""))
        return out

    def embedded(self) -> list[Link]:
        """Documents the page shows in a frame, an <embed>/<object>, or through an online
        viewer (pdf.js viewer.html?file=…): the document's own URL, decoded."""
        if self.root is None:
            return []
        out = []
        for tag, attr in FRAME_SOURCES:
            for el in _xpath(xpath=f"//{tag}[@{attr}]")(self.root):
                out.append(Link(_absolute(self.base, el.get(attr).strip()), ""))
        for el in _xpath(xpath=OBJECT_PARAMS)(self.root):
            if el.get("value"):
                out.append(Link(_absolute(self.base, el.get("value").strip()), ""))
        out += [link for link in self.links() if viewer_target(link.url)]
        seen, targets = set(), []
        for link in out:
            url = viewer_target(link.url) or link.url
            if url not in seen and not discovery.is_skipped(url):
                seen.add(url)
                targets.append(Link(url, link.text))
        return targets

    def attachment_links(self) -> list[Link]:
        """Links that may be the report's file: download-shaped (extension, download
        endpoint, anchor text naming a file), or any non-page link in a 附件 area."""
        out = [link for link in self.links() if discovery.is_download(link.url, link.text)]
        areas: dict = {}
        if self.root is not None:
            for a in _xpath(LINK_SELECTOR)(self.root):
                href = (a.get("href") or "").strip()
                if not href or href.startswith("#"):
                    continue
                url = _absolute(self.base, href)
                if discovery.is_skipped(url) or urlsplit(url).path.lower().endswith(PAGE_SUFFIXES):
                    continue  # pages and directories (menus) are not files
                parent = a.getparent()
                if parent is not None and parent not in areas:  # once per parent, its first words only
                    areas[parent] = bool(discovery.ATTACHMENT_AREA.search(
                        "".join(islice(parent.itertext(), AREA_NODES))[:AREA_CHARS]))
                if parent is not None and areas[parent]:
                    out.append(Link(url, discovery.clean(" ".join(a.itertext())) or discovery.clean(a.get("title"))))
        seen, unique = set(), []
        for link in out:
            if link.url not in seen and not viewer_target(link.url):
                seen.add(link.url)
                unique.append(link)
        return unique


def viewer_target(url: str) -> str | None:
    """The document an online viewer URL shows (pdf.js `…/viewer.html?file=%2Fa%2Fb.pdf`),
    decoded (once or twice encoded) and made absolute against the viewer's URL, as the
    viewer itself resolves it; None when the URL is not a viewer's."""
    parts = urlsplit(url)
    if not discovery.VIEWER_PATH.search(parts.path.rsplit("/", 1)[-1] or parts.path):
        return None
    params = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    for name in discovery.VIEWER_PARAMS:
        value = params.get(name.lower(), "").strip()
        if not value:
            continue
        for _ in range(VIEWER_MAX_DECODE):
            if "%" not in value:
                break
            value = unquote(value)
        target = urljoin(url, value)
        if urlsplit(target).scheme in ("http", "https") and target != url:
            return target
    return None
