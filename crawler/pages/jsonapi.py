"""JSON listing APIs: columns rendered in the browser from /api/…?page=N.

Newer portals (and CMS upgrades of old ones) ship an empty column page whose
script fetches a JSON list. The page names the API in a data attribute or a
string literal; the JSON carries a list of {title, url} records somewhere and a
page count or record total. Field names differ per vendor, so both are found
by name from short candidate lists rather than fixed paths.

The endpoint is often assembled in script from literals and configuration
(`"/gkmlpt/api/all/" + CAT_ID + "?page=" + page + "&sid=" + window._CONFIG.SID`):
such expressions are evaluated with the values the page assigns to those names
(`CAT_ID = 5`, `SID: "755"`), and a page-number variable stands for page 1. Records
are dicts with a title-ish and a URL-ish field, found by key name or, failing
that, by value shape (a path or URL beside a Chinese title), at any nesting.
Examples: tests/fixtures/crawler/json_column.html, json_page1.json, gkmlpt_*.
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
# A string literal or a name (a.b.c) in a `+` concatenation. Possessive quantifiers and
# the look-behind keep a long identifier or an unclosed string linear (no backtracking).
_ATOM = r"""(?:"[^"\n]*+"|'[^'\n]*+'|(?<![\w$.])[A-Za-z_$][\w$]*+(?:\.[A-Za-z_$][\w$]*+)*+)"""
CONCAT = re.compile(rf"{_ATOM}(?:\s*\+\s*{_ATOM})+")
# Where a script hands a URL to the network: fetch(…), $.ajax({url: …}), xhr.open("GET", …),
# or a configuration key naming an endpoint (api, apiUrl, listUrl, dataUrl …).
FETCH_CONTEXT = re.compile(
    r"""(?:\bfetch|\$\.(?:get|getJSON|post|ajax)|\baxios(?:\.(?:get|post))?|\.open\s*\(\s*['"](?:GET|POST)['"]\s*,"""
    r"""|\b\w*(?:api|url|Url|URL|Api)\w*\s*[:=])\s*\(?\s*$""")
MAX_ATOMS = 16  # parts of an assembled URL: path, a few parameters and their values
PAGE_VAR = re.compile(r"^(page|pageNo|pageNum|pageIndex|pn|p|n|cur_?page|currentPage|curPage|num|index|i)$", re.I)
URL_SHAPE = re.compile(r"^(https?://|/|\./|\.\./)[^\s<>\"']+$")
CJK = re.compile(r"[\u4e00-\u9fff]")
URL_KEYS = ("url", "link", "href", "path", "docpuburl", "detailUrl", "detail_url", "pageUrl", "linkUrl", "file", "fileUrl")
TITLE_KEYS = ("title", "name", "doctitle", "docTitle", "subject", "text", "fileName")
PAGES_KEYS = ("totalPage", "totalPages", "total_pages", "pageCount", "pages", "pageTotal")
TOTAL_KEYS = ("total", "totalCount", "totalRecord", "recordCount", "count", "totalElements")
SIZE_KEYS = ("pageSize", "page_size", "perPage", "per_page", "size", "limit", "rows")
PAGE_PARAMS = ("page", "pageNo", "pageNum", "pageIndex", "currentPage", "current", "cur_page", "curPage", "pn",
               "p")
MAX_PAGES = 500
NOT_API = (".html", ".htm", ".shtml")


def api_urls(html_text: str, sel, url: str, scripts: str | None = None) -> list[str]:
    """API endpoints a column page declares (attributes first, then script literals);
    `scripts`: the text to read instead of the page's inline scripts (an external one's)."""
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
    if scripts is None:
        scripts = "\n".join(sel.css("script::text").getall())
    # Literals ending in "=" are concatenated with variables in the script: unusable as they stand.
    # (and literals a `+` continues are the head of an assembled URL, see assembled_urls)
    found += [m.group(1) for m in API_LITERAL.finditer(scripts)
              if not m.group(1).endswith(("=", "&", "?")) and not scripts[m.end():m.end() + 8].lstrip().startswith("+")]
    found += assembled_urls(scripts)
    out, seen = [], set()
    for v in found:
        u = urljoin(url, v)
        key = _first_page_key(u)  # /api/list?channel=x and /api/list?channel=x&page=1 are one listing
        # (static files and pages are not listing APIs: "/images/" + n + ".png" evaluates too)
        if not (discovery.is_skipped(u) or urlsplit(u).path.lower().endswith(NOT_API)) and key not in seen:
            seen.add(key)
            out.append(u)
    return out


def _first_page_key(url: str) -> str:
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not (k in PAGE_PARAMS and v in ("0", "1")))
    return urlunsplit(parts._replace(query=urlencode(query)))


# A name given a literal, as a declaration or key, not inside a string ("?page=" + page):
# var CAT = 5, SID: "755", cfg.sid = 'x'.
ASSIGNMENT = re.compile(r"""(?:^|(?<=[\s,{;(]))['"]?([A-Za-z_$][\w$]*+)['"]?\s*[:=]\s*"""
                        r"""(?:"([^"\n]*+)"|'([^'\n]*+)'|(-?\d++)\b)""")


def _assignments(scripts: str) -> dict[str, str]:
    """The first literal each name is given on the page (one pass over the scripts)."""
    out: dict[str, str] = {}
    for m in ASSIGNMENT.finditer(scripts):
        out.setdefault(m.group(1), next(g for g in m.groups()[1:] if g is not None))
    return out


def _evaluate(expr: str, values: dict[str, str]) -> str | None:
    """A `+` concatenation of literals and names, with the page's values; None when a name
    is unknown (a page-number variable counts as page 1) or the expression is no URL's
    (more than MAX_ATOMS parts)."""
    out = []
    atoms = re.findall(_ATOM, expr)
    if len(atoms) > MAX_ATOMS:
        return None
    for atom in atoms:
        if atom[0] in "\"'":
            out.append(atom[1:-1])
            continue
        short = atom.rsplit(".", 1)[-1]
        value = values.get(short)
        if value is None:
            if not PAGE_VAR.match(short):
                return None
            value = "1"
        out.append(value)
    return "".join(out)


def assembled_urls(scripts: str) -> list[str]:
    """Endpoints a script builds and hands to fetch/$.ajax/xhr.open or names in its config."""
    out = []
    values = None
    for m in CONCAT.finditer(scripts):
        if not FETCH_CONTEXT.search(scripts[max(0, m.start() - 60):m.start()]):
            continue
        if values is None:
            values = _assignments(scripts)
        url = _evaluate(m.group(0), values)
        if url and URL_SHAPE.match(url) and not url.endswith((".js", ".css")):
            out.append(url)
    for m in re.finditer(r"""\b\w*(?:api|Api|API|listUrl|dataUrl)\w*['"]?\s*[:=]\s*['"]([^'"\s]+)['"]""", scripts):
        if (URL_SHAPE.match(m.group(1)) and not m.group(1).endswith((".js", ".css", ".html", ".htm"))
                and not scripts[m.end():m.end() + 8].lstrip().startswith("+")):
            out.append(m.group(1))
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


def _url_value(rec: dict) -> str | None:
    for k in URL_KEYS:
        if isinstance(rec.get(k), str) and rec[k].strip():
            return rec[k]
    shaped = [v for v in rec.values() if isinstance(v, str) and URL_SHAPE.match(v.strip())]
    return shaped[0] if shaped else None


def _title_value(rec: dict) -> str | None:
    for k in TITLE_KEYS:
        if isinstance(rec.get(k), str) and rec[k].strip():
            return rec[k]
    shaped = [v for v in rec.values() if isinstance(v, str) and len(CJK.findall(v)) >= 4
              and not URL_SHAPE.match(v.strip())]
    return max(shaped, key=len) if shaped else None


def _records(obj) -> list[dict]:
    """Every dict in the document that has both a URL-ish and a title-ish field (by key
    name, or by value: a path or URL beside a Chinese title), at any nesting."""
    out, stack = [], [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if _url_value(cur) and _title_value(cur):
                out.append(cur)
            else:
                stack.extend(reversed(list(cur.values())))
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
            href, title = _url_value(rec), _title_value(rec)
            out.append(Link(urljoin(self.url, href.strip()), discovery.clean(title)))
        return expect_count(out, "JSON records", self.url, high=10000)

    @property
    def page_count(self) -> int | None:
        pages = _find(self.data, PAGES_KEYS)
        if pages is not None:
            return pages
        total, size = _find(self.data, TOTAL_KEYS), _find(self.data, SIZE_KEYS)
        if total is not None and not size:
            # no page size given: this (first) page's records are one page's worth
            size = len(_records(self.data))
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
