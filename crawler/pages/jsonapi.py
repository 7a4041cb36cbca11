"""JSON listing APIs: columns rendered in the browser from /api/…?page=N.

Newer portals (and CMS upgrades of old ones) ship an empty column page whose
script fetches a JSON list. The page names the API in a data attribute or a
string literal; the JSON carries a list of {title, url} records somewhere and a
page count or record total. Field names differ per vendor, so both are found
by name from short candidate lists rather than fixed paths.
Examples: tests/fixtures/crawler/json_column.html, json_page1.json.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler import discovery
from crawler.pages.base import Link, SelectorCountError, expect_count

API_ATTRS = ("data-api", "data-url", "data-src", "data-list-url")
API_LITERAL = re.compile(
    r"""["']((?:https?://[^"'\s]+)?/?[^"'\s]*?(?:/api/|\.json\b|getList|list\.do|queryList|listJson)[^"'\s]*)["']""",
    re.I,
)
URL_KEYS = ("url", "link", "href", "path", "docpuburl", "detailUrl", "detail_url", "pageUrl", "linkUrl", "file", "fileUrl")
TITLE_KEYS = ("title", "name", "doctitle", "docTitle", "subject", "text", "fileName")
PAGES_KEYS = ("totalPage", "totalPages", "total_pages", "pageCount", "pages", "pageTotal")
TOTAL_KEYS = ("total", "totalCount", "totalRecord", "recordCount", "count", "totalElements")
SIZE_KEYS = ("pageSize", "page_size", "perPage", "per_page", "size", "limit", "rows")
PAGE_PARAMS = ("page", "pageNo", "pageNum", "pageIndex", "currentPage", "current", "p")
MAX_PAGES = 500


def api_urls(html_text: str, sel, url: str) -> list[str]:
    """API endpoints a column page declares (attributes first, then script literals)."""
    found = []
    for attr in API_ATTRS:
        for el in sel.css(f"[{attr}]"):
            # The element's other data-* attributes are the API's parameters
            # (<div data-api="/api/list" data-channel="ndbg"> → /api/list?channel=ndbg).
            params = {k[5:]: v for k, v in el.attrib.items()
                      if k.startswith("data-") and k not in API_ATTRS and v}
            api = el.attrib[attr].strip()
            if params and "?" not in api:
                api += "?" + urlencode(params)
            found.append(api)
    scripts = "\n".join(sel.css("script::text").getall())
    # Literals ending in "=" are concatenated with variables in the script: unusable as they stand.
    found += [m.group(1) for m in API_LITERAL.finditer(scripts) if not m.group(1).endswith(("=", "&", "?"))]
    out = []
    for v in found:
        u = urljoin(url, v)
        if not urlsplit(u).path.lower().endswith((".js", ".css")) and u not in out:
            out.append(u)
    return out


def _find(obj, keys):
    """First value under one of `keys`, searched breadth-first through dicts."""
    queue = [obj]
    while queue:
        cur = queue.pop(0)
        if isinstance(cur, dict):
            for k in keys:
                if k in cur and isinstance(cur[k], (int, str)) and str(cur[k]).isdigit():
                    return int(cur[k])
            queue.extend(v for v in cur.values() if isinstance(v, dict))
    return None


def _records(obj) -> list[dict]:
    """Every dict in the document that has both a URL-ish and a title-ish field."""
    out, stack = [], [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if any(isinstance(cur.get(k), str) for k in URL_KEYS) and any(isinstance(cur.get(k), str) for k in TITLE_KEYS):
                out.append(cur)
            else:
                stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(reversed(cur))
    return out


class JsonListing:
    def __init__(self, text: str, url: str):
        self.url = url
        try:
            self.data = json.loads(text)
        except ValueError as exc:
            raise SelectorCountError(f"JSON listing: not JSON ({exc}) at {url}") from None

    def links(self) -> list[Link]:
        out = []
        for rec in _records(self.data):
            href = next(rec[k] for k in URL_KEYS if isinstance(rec.get(k), str))
            title = next(rec[k] for k in TITLE_KEYS if isinstance(rec.get(k), str))
            out.append(Link(urljoin(self.url, href.strip()), discovery.clean(title)))
        return expect_count(out, "JSON records", self.url, high=10000)

    @property
    def page_count(self) -> int | None:
        pages = _find(self.data, PAGES_KEYS)
        if pages is not None:
            return pages
        total, size = _find(self.data, TOTAL_KEYS), _find(self.data, SIZE_KEYS)
        if total is not None and size:
            return math.ceil(total / size)
        return None

    def page_urls(self) -> list[str]:
        """Every other page of the listing, when this is its first page."""
        pages = self.page_count
        if not pages or pages <= 1:
            return []
        if pages > MAX_PAGES:
            raise SelectorCountError(f"JSON listing: {pages} pages (> {MAX_PAGES}) at {self.url}")
        parts = urlsplit(self.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        param = next((p for p in PAGE_PARAMS if p in query), "page")
        current = int(query[param]) if str(query.get(param, "")).isdigit() else 1
        first = 0 if current == 0 else 1
        if current != first:
            return []  # only the first page fans out
        urls = []
        for n in range(first + 1, first + pages):
            query[param] = str(n)
            urls.append(urlunsplit(parts._replace(query=urlencode(query))))
        return urls
