"""Hanweb (大汉) jpage listings: records in XML, more from dataproxy.jsp.

A Hanweb column page (…/col/col123/index.html) embeds its first records as

    <div id="4945221"><script type="text/xml"><datastore>
      <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=123&unitid=4945221..."></a>]]></nextgroup>
      <recordset><record><![CDATA[<li><a href="/art/2021/1/20/art_123_456.html">…</a></li>]]></record>…</recordset>
    </datastore></script></div>

and jquery.jpage.js ({perPage: 15, totalRecord: 47, groupSize: 3}) fetches the
rest from /module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15
plus the nextgroup parameters; the answer is the same <datastore> XML with
<totalrecord>. Examples: tests/fixtures/crawler/hanweb_column.html,
hanweb_dataproxy.xml.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector

from crawler import discovery
from crawler.pages.base import Link, SelectorCountError, expect_count

DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
RECORD = re.compile(r"<record>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
TOTAL_XML = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
PROXY_PATH = "/module/web/jpage/dataproxy.jsp"
CONFIG = {
    "proxy": re.compile(r"proxyUrl\s*:\s*['\"]([^'\"]+)"),
    "total": re.compile(r"totalRecord\s*:\s*['\"]?(\d+)"),
    "per_page": re.compile(r"perPage\s*:\s*['\"]?(\d+)"),
    "group": re.compile(r"groupSize\s*:\s*['\"]?(\d+)"),
}
MAX_RECORDS = 20000  # a column larger than this is a misread total


def _record_links(xml: str, url: str) -> list[Link]:
    out = []
    for m in RECORD.finditer(xml):
        frag = m.group(1) if m.group(1) is not None else html.unescape(m.group(2) or "")
        for a in Selector(text=frag).css("a[href]"):
            text = discovery.clean(a.attrib.get("title")) or discovery.clean(" ".join(a.css("::text").getall()))
            out.append(Link(urljoin(url, a.attrib["href"].strip()), text))
    return out


class HanwebListing:
    """A column page carrying jpage datastores."""

    def __init__(self, text: str, url: str):
        self.url = url
        self.text = text or ""
        self.stores = DATASTORE.findall(self.text) if "datastore" in self.text.lower() else []

    @property
    def found(self) -> bool:
        return bool(self.stores) or PROXY_PATH in self.text

    def links(self) -> list[Link]:
        links = [link for store in self.stores for link in _record_links(store, self.url)]
        return expect_count(links, "jpage records", self.url, low=1 if self.stores else 0)

    def _config(self, key: str, default: int | None = None):
        m = CONFIG[key].search(self.text)
        return (m.group(1) if key == "proxy" else int(m.group(1))) if m else default

    def proxy_params(self) -> dict[str, str]:
        """The dataproxy parameters from <nextgroup> (column, unit, site ids)."""
        for store in self.stores:
            m = NEXTGROUP.search(store)
            if m:
                href = Selector(text=m.group(1)).css("a::attr(href)").get() or ""
                q = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
                q.pop("page", None)
                return q
        return {}

    def proxy_urls(self) -> list[str]:
        """GET URLs covering every record range of the column."""
        params = self.proxy_params()
        if not params and PROXY_PATH not in self.text:
            return []
        per_page = self._config("per_page", 15) or 15
        group = self._config("group", 3) or 3
        total = self._config("total")
        proxy = urljoin(self.url, self._config("proxy") or PROXY_PATH)
        return proxy_range_urls(proxy, params, per_page, group, total)


def proxy_range_urls(proxy: str, params: dict, per_page: int, group: int, total: int | None,
                     start: int = 1) -> list[str]:
    """startrecord/endrecord windows of group*per_page records from `start` to `total`."""
    step = per_page * group
    if total is None:
        total = start + step - 1  # fetch one window; its <totalrecord> tells the rest
    if total > MAX_RECORDS:
        raise SelectorCountError(f"jpage totalRecord {total} > {MAX_RECORDS} at {proxy}")
    base = proxy.split("?")[0]
    fixed = {k: v for k, v in params.items() if k not in ("startrecord", "endrecord", "perpage")}
    fixed.setdefault("col", "1")
    return [
        f"{base}?{urlencode({'startrecord': s, 'endrecord': min(s + step - 1, total), 'perpage': per_page, **fixed})}"
        for s in range(start, total + 1, step)
    ]


class HanwebProxyResponse:
    """The XML answer of dataproxy.jsp."""

    def __init__(self, text: str, url: str):
        self.url = url
        self.text = text or ""

    def links(self) -> list[Link]:
        return _record_links(self.text, self.url)

    @property
    def total(self) -> int | None:
        m = TOTAL_XML.search(self.text)
        return int(m.group(1)) if m else None

    def more_urls(self) -> list[str]:
        """Windows after this one, when the first request did not know the total."""
        q = dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))
        try:
            start, end, per_page = int(q["startrecord"]), int(q["endrecord"]), int(q.get("perpage") or 15)
        except (KeyError, ValueError):
            return []
        total = self.total
        if total is None or end >= total or start != 1:
            return []  # only the first window fans out, so windows are not requested twice
        step = end - start + 1
        return proxy_range_urls(self.url, q, per_page, max(1, step // per_page), total, start=end + 1)
