"""A synthetic big web for the crawl memory benchmark: one static-CMS portal with
as many report pages as asked (100k pages and more), served on loopback.

The sandbox web (benchmarks/crawl_web.py) tops out near 1.5k pages a province;
this one is one site in the sandbox's *static* family (benchmarks/memory_crawl.py
crawls it as `nianbao crawl --province henan --registry FILE`):

    /                       portal: 政务公开 menu linking every report column
    /ndbgN/index.htm        report column N, 20 entries a page, 首页/上一页/下一页/尾页
    /ndbgN/index_K.htm      page K of it (at most 100 pages a column: the pager chain
                            stays far below the crawler's 300-page trap limit)
    /ndbgN/YEAR/ID.htm      one report page (HTML, the sandbox's renderer)

Bodies are real counties × departments (沾益区教育局 …, as benchmarks/archive_generate),
eleven report years each (2014–2024: pre-2019, 2019 and 2021 templates); every
report is its own page and its own archive row. Report pages are cheap but real:
`VARIANTS` reports a year are rendered once by the sandbox's HTML renderer
(numbers, quirks and sections drawn as in the sandbox world) with a placeholder
issuing body, and each request substitutes the body's name, so a page costs a
string replace, not a render, and the server's memory does not grow with the web.

    .venv/bin/python -m benchmarks.big_web --pages 100000 --registry FILE [--port 0]

serves it in its own process (like benchmarks/crawl_web.py) until stdin closes or
SIGTERM, after writing the registry to FILE and printing one JSON line
(`{"ready": true, "url": ..., "pages": ..., "reports": ...}`) on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import math
import re
import signal
import sys
import threading
from dataclasses import dataclass
from email.utils import format_datetime
from functools import cached_property
from html import escape
from types import SimpleNamespace

from benchmarks.archive_generate import DEPARTMENTS
from sandbox import render_html, texts, world
from sandbox.cms import static

YEARS = tuple(range(2014, 2025))
PAGE_SIZE = 20
PAGES_PER_COLUMN = 100  # listing pages a column: 2,000 reports
VARIANTS = 4  # rendered reports a year; each body-year uses one of them
PLACEHOLDER = "@@BODY@@"
COLUMN_NAME, COLUMN_PATH = "@@COLNAME@@", "@@COLPATH@@"
OWNER = SimpleNamespace(name="河南省人民政府", code="41")
REPORT_PATH = re.compile(r"^/ndbg(\d+)/(\d{4})/(\d+)\.htm$")
LISTING_PATH = re.compile(r"^/ndbg(\d+)/(?:index(?:_(\d+))?\.htm)?$")
FIRST_ID = 100_000


def reports_for_pages(pages: int) -> int:
    """Reports such that reports + listing pages + portal ≈ `pages`."""
    return max(1, (pages - 2) * PAGE_SIZE // (PAGE_SIZE + 1))


def body_names(n: int) -> list[str]:
    """`n` distinct issuing bodies: every county with 人民政府, then with 人民政府办公室, …"""
    from archive import regions

    divisions = regions.divisions()
    counties = [d for d in divisions.values() if d.level == "county"]
    out, seen = [], set()
    for dept in DEPARTMENTS:
        for county in counties:
            name = county.name + dept
            if name in seen:  # 朝阳区 of Beijing and of Changchun: say whose
                city = divisions.get(county.parent)
                name = (city.name if city else "") + name
            if name in seen:
                continue
            seen.add(name)
            out.append(name)
            if len(out) == n:
                return out
    raise ValueError(f"at most {len(out)} bodies")


@dataclass(frozen=True)
class Entry:
    index: int
    body: str
    year: int
    variant: int
    column: int

    @property
    def id(self) -> int:
        return FIRST_ID + self.index

    @property
    def path(self) -> str:
        return f"/ndbg{self.column}/{self.year}/{self.id}.htm"


class BigWeb:
    """The web as pure functions of a report index: nothing per report is stored
    but the body names (~10k strings for 100k pages)."""

    def __init__(self, reports: int, seed: int = 0, base_url: str = ""):
        self.reports = reports
        self.seed = seed
        self.base_url = base_url
        self.bodies = body_names(math.ceil(reports / len(YEARS)))
        self.per_column = PAGE_SIZE * PAGES_PER_COLUMN
        self.columns = math.ceil(reports / self.per_column)
        self.site = SimpleNamespace(name=OWNER.name, declared_charset="utf-8", charset="utf-8",
                                    spec=SimpleNamespace(owner=OWNER), base_url=base_url)

    @property
    def listing_pages(self) -> int:
        return sum(self.pages_of(c) for c in range(1, self.columns + 1))

    @property
    def pages(self) -> int:
        """Pages a crawl should fetch: portal, listings, reports (robots.txt and chrome not counted)."""
        return 1 + self.listing_pages + self.reports

    def pages_of(self, column: int) -> int:
        first = (column - 1) * self.per_column
        return math.ceil(min(self.per_column, self.reports - first) / PAGE_SIZE)

    def entry(self, index: int) -> Entry:
        body, year = divmod(index, len(YEARS))
        variant = (index * 7919 + self.seed) % VARIANTS
        return Entry(index, self.bodies[body], YEARS[year], variant, index // self.per_column + 1)

    def column_name(self, column: int) -> str:
        return f"政府信息公开年报（{column}）"

    def column_path(self, column: int) -> str:
        return f"/ndbg{column}/index.htm"

    def registry_entry(self) -> dict:
        columns = [self.base_url + self.column_path(c) for c in range(1, self.columns + 1)]
        return {"slug": "henan-big", "name": OWNER.name, "code": OWNER.code, "level": "province",
                "portal": self.base_url + "/", "columns": columns}

    # --- templates, rendered once ----------------------------------------------------
    @cached_property
    def templates(self) -> dict[tuple[int, int], tuple[str, str, str]]:
        """(year, variant) -> (title, published, page HTML with placeholders)."""
        out = {}
        column = SimpleNamespace(name=COLUMN_NAME, path=COLUMN_PATH)
        for year in YEARS:
            for v in range(VARIANTS):
                rng = world.rng_for(self.seed, "big-web", year, v)
                quirks = tuple(q for q in world.REPORT_QUIRKS if rng.random() < 0.25)
                fmt = world.template_format(year)
                body = world.Body(PLACEHOLDER, "department", OWNER.code, "henan-big")
                published = (dt.date(year + 1, 1, 5 + rng.randint(0, 26)) if year >= 2019
                             else dt.date(year + 1, rng.randint(1, 3), rng.randint(1, 28))).isoformat()
                title = texts.title(PLACEHOLDER, year, v)
                report = world.Report(id=0, site=self.site, body=body, year=year, format=fmt, kind="html",
                                      published=published, late=False, title=title, quirks=quirks,
                                      column="ndbg", path="")
                report.content = world._content(rng, body, year, fmt, quirks)
                html = render_html.article(self.site, title, published, PLACEHOLDER,
                                           render_html.report_inner(report), static.CONTAINER,
                                           [("政务公开", "/col1/"), (column.name, column.path)])
                out[(year, v)] = (title, published, html)
        return out

    # --- pages -----------------------------------------------------------------------
    def title(self, e: Entry) -> str:
        return self.templates[(e.year, e.variant)][0].replace(PLACEHOLDER, e.body)

    def report_page(self, e: Entry) -> tuple[bytes, str]:
        _title, published, html = self.templates[(e.year, e.variant)]
        html = (html.replace(PLACEHOLDER, e.body).replace(COLUMN_NAME, escape(self.column_name(e.column)))
                .replace(COLUMN_PATH, self.column_path(e.column)))
        return html.encode("utf-8"), published

    def listing(self, column: int, k: int) -> bytes:
        n = self.pages_of(column)
        first = (column - 1) * self.per_column + (k - 1) * PAGE_SIZE
        last = min(first + PAGE_SIZE, column * self.per_column, self.reports)
        entries = [self.entry(i) for i in range(first, last)]
        rows = [SimpleNamespace(title=self.title(e), path=e.path, date=self.templates[(e.year, e.variant)][1])
                for e in entries]
        pager = static.pager(k, n)
        col = SimpleNamespace(name=self.column_name(column), path=self.column_path(column))
        html = render_html.listing(self.site, col, render_html.entry_list(rows, lambda r: r.path), pager)
        return html.encode("utf-8")

    def home(self) -> bytes:
        cols = "".join(f'<li><a href="{self.column_path(c)}">{escape(self.column_name(c))}</a></li>'
                       for c in range(1, self.columns + 1))
        main = f'<div class="zwgk"><h2>政务公开</h2><ul>{cols}</ul></div>'
        return render_html.page(self.site, OWNER.name, main).encode("utf-8")

    def answer(self, path: str) -> tuple[int, bytes, str, list[tuple[str, str]]]:
        """(status, body, content type, extra headers) for a GET of `path`."""
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /search/\n", "text/plain", []
        if path in ("/", "/index.html", "/index.htm", "/col1/"):
            return 200, self.home(), html, []
        m = REPORT_PATH.match(path)
        if m:
            column, year, rid = int(m[1]), int(m[2]), int(m[3])
            index = rid - FIRST_ID
            if 0 <= index < self.reports:
                e = self.entry(index)
                if (e.column, e.year) == (column, year):
                    body, published = self.report_page(e)
                    return 200, body, html, [("Last-Modified", _http_date(published))]
        m = LISTING_PATH.match(path)
        if m:
            column, k = int(m[1]), int(m[2] or 1)
            if 1 <= column <= self.columns and 1 <= k <= self.pages_of(column) and m[2] != "1":
                return 200, self.listing(column, k), html, []
        return 404, b"<html><body><h1>404</h1></body></html>", html, []


def _http_date(date: str) -> str:
    d = dt.datetime.fromisoformat(date + "T09:30:00+08:00")
    return format_datetime(d.astimezone(dt.UTC), usegmt=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/7.5"
    sys_version = ""
    timeout = 60

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._serve()

    def do_HEAD(self):
        self._serve(head=True)

    def _serve(self, head: bool = False) -> None:
        from urllib.parse import unquote, urlsplit

        status, body, ctype, headers = self.server.web.answer(unquote(urlsplit(self.path).path) or "/")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):  # no reverse DNS lookup of our own name (see sandbox/server.py)
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def serve(reports: int, host: str = "127.0.0.1", port: int = 0, seed: int = 0) -> tuple[_Server, BigWeb]:
    """Bind, build the web (templates rendered up front), start serving in a thread."""
    server = _Server((host, port), _Handler)
    web = BigWeb(reports, seed, base_url=f"http://{host}:{server.server_address[1]}")
    web.templates  # noqa: B018  # render now, not on the first request
    server.web = web
    threading.Thread(target=server.serve_forever, name="big-web", daemon=True).start()
    return server, web


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--pages", type=int, help="pages a crawl fetches (reports + listings + portal), about")
    size.add_argument("--reports", type=int, help="report pages, exactly")
    parser.add_argument("--registry", required=True, help="write the registry (one site, in 河南) here")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    reports = args.reports or reports_for_pages(args.pages)
    server, web = serve(reports, args.host, args.port, args.seed)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with open(args.registry, "w", encoding="utf-8") as f:
            yaml.safe_dump({"sites": [web.registry_entry()]}, f, allow_unicode=True)
        print(json.dumps({"ready": True, "url": web.base_url + "/", "pages": web.pages, "reports": web.reports,
                          "listing_pages": web.listing_pages, "columns": web.columns,
                          "bodies": len(web.bodies)}), flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
