"""A many-site province with politeness on: is wall time that of its largest site?

One portal (广东省人民政府, registered) links N-1 small government sites (real 广东
counties, cities and city bureaus, each placed by its 网站标识码) that the crawl
must discover; every site answers robots.txt, a home page, a report column and its
reports. Each site is its own loopback address (127.0.2.x), so each gets its own
Scrapy download slot; politeness is 1 request a second a site
(DOWNLOAD_DELAY=1, CONCURRENT_REQUESTS_PER_DOMAIN=1, AutoThrottle off).

    .venv/bin/python -m benchmarks.many_sites [--sites 200] [--reports 5] [--largest 30]
        [--concurrency 16,128]

crawls the province once per global CONCURRENT_REQUESTS value, then the largest
site alone (discovery off), and prints one line each: wall time, sites, pages and
reports. Sites crawl in parallel when the wall time of the province approaches
that of its largest site.
"""

from __future__ import annotations

import argparse
import http.server
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from html import escape
from pathlib import Path

import yaml

from archive import regions

ROOT = Path(__file__).resolve().parents[1]
YEARS = range(2024, 2000, -1)
PORT_HOSTS = "127.0.2.{}"  # site n (1-based) listens on 127.0.2.n


def q(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def bodies(n: int) -> list[tuple[str, str]]:
    """(name, division code) of n bodies of 广东: the province, its cities and counties, then city bureaus."""
    divs = [d for c, d in sorted(regions.divisions().items()) if c.startswith("44") and len(c) > 2]
    out = [("广东省人民政府", "44")]
    out += [(d.name + "人民政府", d.code) for d in divs if d.level == "city"]
    out += [(d.name + "人民政府", d.code) for d in divs if d.level == "county" and d.name != "市辖区"]
    for bureau in ("教育局", "财政局", "民政局", "司法局", "卫生健康局"):
        out += [(d.name + bureau, d.code) for d in divs if d.level == "city"]
    if n > len(out):
        raise SystemExit(f"at most {len(out)} sites")
    return out[:n]


def page(title: str, code: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="SiteIDCode" content="{code.ljust(6, "0")}0001">'
            f"<title>{escape(title)}</title></head><body>{body}<p>网站标识码：{code.ljust(6, '0')}0001</p></body></html>"
            ).encode()


def report(name: str, year: int) -> str:
    return (f"<h1>{name}{year}年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>{year}年，{name}认真贯彻落实条例。</p>"
            "<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>"
            "<p>四、政府信息公开行政复议、行政诉讼情况</p><p>五、存在的主要问题及改进情况</p><p>六、其他需要报告的事项</p>")


class Site:
    def __init__(self, n: int, name: str, code: str, reports: int, links: list[Site]):
        self.n, self.name, self.code, self.reports, self.links = n, name, code, reports, links

    @property
    def url(self) -> str:
        return f"http://{PORT_HOSTS.format(self.n)}:{self.port}/"

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /search/\n", "text/plain"
        if path in ("/", "/index.html"):
            sites = "".join(f'<li><a href="{s.url}">{escape(s.name)}</a></li>' for s in self.links)
            body = (f'<h1>{escape(self.name)}</h1><ul><li><a href="/ndbg/">政府信息公开年报</a></li></ul>'
                    + (f"<h2>市县政府</h2><ul>{sites}</ul>" if sites else ""))
            return 200, page(self.name, self.code, body), "text/html; charset=utf-8"
        if path == "/ndbg/":
            items = "".join(f'<li><a href="/ndbg/{y}.html">{self.name}{y}年政府信息公开工作年度报告</a></li>'
                            for y in YEARS[: self.reports])
            return 200, page("政府信息公开年报", self.code, f"<h1>政府信息公开年报</h1><ul>{items}</ul>"), \
                "text/html; charset=utf-8"
        if path.startswith("/ndbg/") and path.endswith(".html"):
            year = int(path[6:10])
            return 200, page(f"{self.name}{year}年政府信息公开工作年度报告", self.code, report(self.name, year)), \
                "text/html; charset=utf-8"
        return 404, b"not found", "text/plain"


def serve(sites: list[Site]) -> list[http.server.ThreadingHTTPServer]:
    servers = []
    port = 0
    for site in sites:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            target = site

            def do_GET(self):
                status, body, ctype = self.target.answer(self.path.split("?")[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer((PORT_HOSTS.format(site.n), port), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        site.port = port
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def crawl(registry: Path, db: Path, concurrency: int, *extra: str) -> dict:
    polite = ("-s", "DOWNLOAD_DELAY=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "AUTOTHROTTLE_ENABLED=False",
              "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", "NIANBAO_MAX_SITES=1000",
              "-s", "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True")  # the sandbox is on loopback
    started = time.time()
    proc = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--province", "guangdong", "--registry",
                           str(registry), "--db", str(db), "--progress", "0", *polite, *extra],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.time() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    pages = q(db, "SELECT sum(pages), count(*) FROM site_status")[0]
    return {"wall": wall, "pages": pages[0], "sites": pages[1], "reports": q(db, "SELECT count(*) FROM reports")[0][0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--reports", type=int, default=5, help="reports of each small site")
    ap.add_argument("--largest", type=int, default=30, help="reports of the portal, the largest site")
    ap.add_argument("--concurrency", default="16,128", help="CONCURRENT_REQUESTS values to try")
    args = ap.parse_args()
    named = bodies(args.sites)
    small = [Site(i + 2, name, code, args.reports, []) for i, (name, code) in enumerate(named[1:])]
    portal = Site(1, named[0][0], named[0][1], args.largest, small)
    servers = serve([portal, *small])
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry.yml"
        registry.write_text(yaml.safe_dump({"sites": [{"slug": "guangdong", "name": portal.name, "code": "44",
                                                       "level": "province", "portal": portal.url}]},
                                           allow_unicode=True), encoding="utf-8")
        print(f"{args.sites} sites ({args.sites - 1} to discover), {args.reports} reports each,"
              f" the portal {args.largest}; 1 request/s a site", flush=True)
        for c in map(int, args.concurrency.split(",")):
            r = crawl(registry, Path(tmp) / f"province-{c}.db", c)
            print(f"  province, CONCURRENT_REQUESTS={c:<4} wall {r['wall']:6.1f} s · {r['sites']} sites"
                  f" · {r['pages']} pages · {r['reports']} reports", flush=True)
        r = crawl(registry, Path(tmp) / "largest.db", 16, "-s", "NIANBAO_DISCOVER_SITES=False")
        print(f"  largest site alone              wall {r['wall']:6.1f} s · {r['sites']} site"
              f" · {r['pages']} pages · {r['reports']} reports", flush=True)
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
