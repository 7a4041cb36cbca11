"""A crawl never fetches or publishes what lies outside its scope (issue 12, item 2).

Real crawls (`nianbao crawl`) of hand-made sites on loopback (tests/loopback_web.py):
- `run_redirects`: with loopback allowed (as the sandbox and the tests run), every
  kind of redirect — 301/302/303/307/308, a meta refresh, an in-scope hop then an
  off-scope one, an attachment — leading to another host (an "internal service"
  whose page is a report holding a secret); and a page sent with 5 MB of headers.
- `run_private`: with the default settings (a user's real crawl), a site at a loopback
  address named by its literal IP, and one named by a host name resolving to it
  (localhost).
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

from tests.crawl_support import FAST, q
from tests.loopback_web import Page, column, serve, write_registry

from .common import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "html"
GOOD = (FIXTURES / "trs_2021_utf8.html").read_bytes()
HEAVY = (FIXTURES / "plain_cms_2020_bom.html").read_bytes()
SECRET = b"INTERNAL-SECRET-7f3a9c"
SECRET_PAGE = HEAVY.replace(b"</body>", SECRET + b"</body>")
SECRET_PDF = b"%PDF-1.4\n" + SECRET + b"\n%%EOF\n"
HEADER_BYTES = 5 * 2**20
# FAST without the loopback permission: what a user's real crawl runs with
NO_PRIVATE = tuple(x for pair in zip(FAST[::2], FAST[1::2], strict=True)
                   if pair[1] != "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True" for x in pair)
# path on the site -> (status, path on the internal host); one target each (the
# dupefilter would drop a second request of one URL before it reached the check)
REDIRECTS = {
    "/ndbg/r301.html": (301, "/secret.html"),
    "/ndbg/r302.html": (302, "/secret.html?a"),
    "/ndbg/r303.html": (303, "/secret.html?b"),
    "/ndbg/r307.html": (307, "/secret.html?c"),
    "/ndbg/r308.html": (308, "/secret.html?d"),
    "/ndbg/file.pdf": (302, "/secret.pdf"),
}
KINDS = {"/ndbg/r301.html": "301", "/ndbg/r302.html": "302", "/ndbg/r303.html": "303", "/ndbg/r307.html": "307",
         "/ndbg/r308.html": "308", "/ndbg/file.pdf": "302 of an attachment (.pdf)",
         "/ndbg/meta.html": "meta refresh", "/ndbg/hop.html": "301 within the site, then 302 out"}


def crawl(registry: Path, db: Path, *settings: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(registry),
           "--db", str(db), "--progress", "0", *settings]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)


def fetch_log(db: Path) -> dict[str, tuple[str, str]]:
    return {u: (o, r) for u, o, r in q(db, "SELECT url, outcome, reason FROM fetch_log")}


def archived_bytes(db: Path) -> bytes:
    """Every archived body, snapshot row and report row, as bytes to search."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        blobs = [zlib.decompress(d) for (d,) in conn.execute("SELECT data FROM blobs")]
        rows = [json.dumps(r, ensure_ascii=False).encode() for table in ("snapshots", "reports")
                for r in conn.execute(f"SELECT * FROM {table}")]
        return b"\n".join(blobs + rows)
    finally:
        conn.close()


def _site(url: str, slug: str = "zhengzhou", name: str = "郑州市人民政府", code: str = "4101",
          portal: str | None = None) -> dict:
    return {"slug": slug, "name": name, "code": code, "portal": portal or url, "columns": [url]}


def run_redirects(workdir: Path) -> dict:
    internal_pages = {"/secret.html": Page(SECRET_PAGE), "/secret.pdf": Page(SECRET_PDF, "application/pdf")}
    for suffix in "abcdmh":
        internal_pages[f"/secret.html?{suffix}"] = Page(SECRET_PAGE)
    with serve(internal_pages, host="127.0.0.2") as internal:
        links = [(path, f"郑州市{2014 + i}年政府信息公开工作年度报告") for i, path in enumerate(REDIRECTS)]
        links += [("/ndbg/meta.html", "郑州市2013年政府信息公开工作年度报告"),
                  ("/ndbg/hop.html", "郑州市2012年政府信息公开工作年度报告"),
                  ("/ndbg/good.html", "郑州市2021年政府信息公开工作年度报告"),
                  ("/ndbg/heavy.html", "郑州市2020年政府信息公开工作年度报告")]
        refresh = f'<html><head><meta http-equiv="refresh" content="0; url={internal.url("/secret.html?m")}">'
        many = [(f"X-Filler-{n}", "v" * 1000) for n in range(HEADER_BYTES // 1024)]
        pages = {path: Page(status=status, headers={"Location": internal.url(to)})
                 for path, (status, to) in REDIRECTS.items()}
        pages.update({
            "/ndbg/index.html": Page(column(links)),
            "/ndbg/meta.html": Page(f"{refresh}</head><body>跳转</body></html>".encode()),
            "/ndbg/hop2.html": Page(status=302, headers={"Location": internal.url("/secret.html?h")}),
            "/ndbg/good.html": Page(GOOD),
            "/ndbg/heavy.html": Page(HEAVY, headers=many),
        })
        with serve(pages) as site:
            pages["/ndbg/hop.html"] = Page(status=301, headers={"Location": site.url("/ndbg/hop2.html")})
            registry = write_registry(workdir / "registry.yml", [_site(site.url("/ndbg/index.html"))])
            db = workdir / "redirects.db"
            done = crawl(registry, db, *FAST)
    log = fetch_log(db)
    stored = {}
    for table, where in (("snapshots", "url = ?"),
                         ("sightings", "snapshot_id IN (SELECT id FROM snapshots WHERE url = ?)")):
        rows = q(db, f"SELECT headers FROM {table} WHERE {where}", site.url("/ndbg/heavy.html"))
        stored[table] = rows[0][0] if rows else "{}"
    return {
        "returncode": done.returncode, "stderr": done.stderr, "site": site, "internal": internal,
        "internal_hits": list(internal.hits),
        "redirects": {path: log.get(site.url(path)) for path in KINDS},
        "secret_archived": SECRET in archived_bytes(db),
        "reports": {u for (u,) in q(db, "SELECT source_url FROM reports")},
        "good_urls": {site.url("/ndbg/good.html"), site.url("/ndbg/heavy.html")},
        "headers_sent": len(many), "header_bytes": HEADER_BYTES, "headers_stored": stored,
        "archive_bytes": db.stat().st_size,
    }


def headers_cut(stored: str) -> tuple[int, int, str]:
    """(headers kept, headers received, the cut note) of a stored headers JSON."""
    from archive.store import HEADERS_CUT

    headers = json.loads(stored)
    note = headers.get(HEADERS_CUT, "")
    m = re.match(r"kept (\d+) of (\d+) headers", note)
    return (int(m[1]), int(m[2]), note) if m else (len(headers), len(headers), note)


def run_private(workdir: Path) -> dict:
    pages = {"/ndbg/index.html": Page(column([("/ndbg/good.html", "郑州市2021年政府信息公开工作年度报告")])),
             "/ndbg/good.html": Page(GOOD), "/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain")}
    with serve(pages) as by_ip, serve(pages, host="127.0.0.1", host_name="localhost") as by_name:
        registry = write_registry(workdir / "registry.yml", [
            _site(by_ip.url("/ndbg/index.html"), portal=by_ip.url("/")),
            _site(by_name.url("/ndbg/index.html"), "luoyang", "洛阳市人民政府", "4103", portal=by_name.url("/"))])
        db = workdir / "private.db"
        done = crawl(registry, db, *NO_PRIVATE)
    log = fetch_log(db)
    return {
        "returncode": done.returncode, "stderr": done.stderr,
        "webs": {"127.0.0.1": by_ip, "localhost (127.0.0.1)": by_name},
        "hits": {"127.0.0.1": list(by_ip.hits), "localhost (127.0.0.1)": list(by_name.hits)},
        "logged": {shown: {path: log.get(web.url(path)) for path in ("/", "/ndbg/index.html")}
                   for shown, web in (("127.0.0.1", by_ip), ("localhost (127.0.0.1)", by_name))},
        "snapshots": q(db, "SELECT count(*) FROM snapshots")[0][0],
        "statuses": dict(q(db, "SELECT site, status FROM site_status")),
    }


def report(workdir: Path) -> tuple[list[str], bool]:
    """Run both scenarios; the docs/reliability.md section and whether everything held."""
    from archive.store import MAX_HEADERS_CHARS, MAX_STORED_HEADERS

    from .report import _cell, _yes

    (workdir / "redirects").mkdir(parents=True)
    (workdir / "private").mkdir()
    r = run_redirects(workdir / "redirects")
    p = run_private(workdir / "private")
    lines = ["## Scope: redirects, private addresses, headers", "",
             "Real crawls of hand-made sites on loopback (`tests/reliability/scope.py`). A second server on "
             "127.0.0.2 stands in for an internal service: its pages are reports carrying a secret.", "",
             "| attempt | recorded (`fetch_log`) | outcome | result |", "|---|---|---|---|"]
    ok_all = r["returncode"] == 0 and "Traceback" not in r["stderr"]
    for path, kind in KINDS.items():
        outcome, reason = r["redirects"][path] or ("—", "not recorded")
        ok = outcome == "skipped" and reason.startswith("out of scope: ") and not r["internal_hits"]
        ok_all &= ok
        lines.append(f"| redirect to another host: {_cell(kind)} | {outcome}: {_cell(re.sub(r':[0-9]+/', ':…/', reason))}"
                     f" | internal service asked {len(r['internal_hits'])} times | {_yes(ok)} |")
    ok = not r["secret_archived"] and r["reports"] == r["good_urls"]
    ok_all &= ok
    lines.append(f"| the secret in the archive (bodies, snapshots, reports) | — | "
                 f"{'found' if r['secret_archived'] else 'absent'}; the 2 good reports archived | {_yes(ok)} |")
    for table, stored in r["headers_stored"].items():
        kept, received, note = headers_cut(stored)
        ok = len(stored) < MAX_HEADERS_CHARS + 2000 and kept <= MAX_STORED_HEADERS and received >= r["headers_sent"]
        ok_all &= ok
        lines.append(f"| a report page sent with {r['header_bytes'] // 2**20} MB of headers ({r['headers_sent']} "
                     f"headers): {table}.headers | — | {len(stored)} characters stored: \"{_cell(note)}\" | {_yes(ok)} |")
    ok = r["archive_bytes"] < 2 * 2**20
    ok_all &= ok
    lines.append(f"| that crawl's whole archive | — | {r['archive_bytes'] / 2**20:.1f} MB | {_yes(ok)} |")
    p_ok = p["returncode"] == 0 and "Traceback" not in p["stderr"] and p["snapshots"] == 0
    for shown, logged in p["logged"].items():
        hits = p["hits"][shown]
        for path, row in logged.items():
            outcome, reason = row or ("—", "not recorded")
            ok = outcome == "skipped" and reason.startswith(f"refused: {shown} is a loopback address") and not hits
            p_ok &= ok
            lines.append(f"| default settings (a user's crawl): site at {shown}, `{path}` | {outcome}: "
                         f"{_cell(re.sub(r':[0-9]+/', ':…/', reason))} | server asked {len(hits)} times "
                         f"(robots.txt included) | {_yes(ok)} |")
    lines += ["", "Addresses refused unless `NIANBAO_ALLOW_PRIVATE_ADDRESSES` (set by the sandbox, the demo, the "
              "benchmarks and the tests) or named in `NIANBAO_RESOLVE`: loopback, private, link-local, multicast, "
              "reserved, unspecified and other non-global ones, by the address a host resolves to and again by the "
              "address a response came from (`crawler/scope.py`).", ""]
    return lines, ok_all and p_ok
