"""A crawl never fetches or publishes what lies outside its scope (issue 12, item 2).

Real crawls (`nianbao crawl`) of hand-made sites on loopback:
- with loopback allowed (as the sandbox and the tests run): every kind of redirect
  (301/302/303/307/308, a meta refresh, an in-scope hop then an off-scope one, an
  attachment) that leads to another host — an "internal service" whose page is a
  report holding a secret — is refused before it is fetched: that server sees no
  request, fetch_log names each, no byte of it is archived; the good report is.
  A page sent with 5 MB of headers is archived with its headers cut and the cut noted.
- with the default settings (a user's real crawl): a site at a loopback address,
  named by its literal IP or by a host name resolving to it (localhost), is refused —
  pages and robots.txt alike: its server sees no request at all.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.scope import address_kind, resolve_hosts
from tests.crawl_support import FAST, q
from tests.loopback_web import Page, column, serve, write_registry

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "html"
GOOD = (FIXTURES / "trs_2021_utf8.html").read_bytes()
SECRET = b"INTERNAL-SECRET-7f3a9c"
SECRET_PAGE = (FIXTURES / "plain_cms_2020_bom.html").read_bytes().replace(b"</body>", SECRET + b"</body>")
SECRET_PDF = b"%PDF-1.4\n" + SECRET + b"\n%%EOF\n"
HEADER_BYTES = 5 * 2**20
# FAST without the loopback permission: what a user's real crawl runs with
NO_PRIVATE = tuple(x for pair in zip(FAST[::2], FAST[1::2], strict=True)
                   if pair[1] != "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True" for x in pair)


def _crawl(registry: Path, db: Path, *settings: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(registry),
           "--db", str(db), "--progress", "0", *settings]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)


def _log(db: Path) -> dict[str, tuple[str, str]]:
    return {u: (o, r) for u, o, r in q(db, "SELECT url, outcome, reason FROM fetch_log")}


def _archived_bytes(db: Path) -> bytes:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        import zlib

        blobs = [zlib.decompress(d) for (d,) in conn.execute("SELECT data FROM blobs")]
        rows = [json.dumps(r, ensure_ascii=False).encode() for r in conn.execute("SELECT * FROM snapshots")]
        rows += [json.dumps(r, ensure_ascii=False).encode() for r in conn.execute("SELECT * FROM reports")]
        return b"\n".join(blobs + rows)
    finally:
        conn.close()


REDIRECTS = {  # path on the site -> (status, where it sends the crawler on the internal host)
    "/ndbg/r301.html": (301, "/secret.html"),
    "/ndbg/r302.html": (302, "/secret.html?a"),
    "/ndbg/r303.html": (303, "/secret.html?b"),
    "/ndbg/r307.html": (307, "/secret.html?c"),
    "/ndbg/r308.html": (308, "/secret.html?d"),
    "/ndbg/file.pdf": (302, "/secret.pdf"),
}


def test_redirects_out_of_scope_are_refused_and_headers_capped(tmp_path):
    internal_pages = {"/secret.html": Page(SECRET_PAGE), "/secret.pdf": Page(SECRET_PDF, "application/pdf")}
    for suffix in "abcdmh":  # one URL each: the dupefilter would drop a second request of one
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
            "/ndbg/heavy.html": Page((FIXTURES / "plain_cms_2020_bom.html").read_bytes(), headers=many),
        })
        with serve(pages) as site:
            # an in-scope hop first, then out (the pages dict is served live)
            pages["/ndbg/hop.html"] = Page(status=301, headers={"Location": site.url("/ndbg/hop2.html")})
            registry = write_registry(tmp_path / "registry.yml", [
                {"slug": "zhengzhou", "name": "郑州市人民政府", "code": "4101", "portal": site.url("/ndbg/index.html"),
                 "columns": [site.url("/ndbg/index.html")]}])
            db = tmp_path / "a.db"
            done = _crawl(registry, db, *FAST)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert internal.hits == [], "the internal service was asked"
    log = _log(db)
    for path in [*REDIRECTS, "/ndbg/meta.html", "/ndbg/hop.html"]:
        outcome, reason = log[site.url(path)]
        assert outcome == "skipped", (path, outcome, reason)
        assert reason.startswith(f"out of scope: {internal.url('/secret')}"), reason
        assert "is not zhengzhou of this crawl, reached from" in reason, reason
    assert SECRET not in _archived_bytes(db)
    assert {u for (u,) in q(db, "SELECT source_url FROM reports")} == {site.url("/ndbg/good.html"),
                                                                      site.url("/ndbg/heavy.html")}
    # the page with 5 MB of headers: stored cut to the bounds, the cut noted, in snapshot and sighting
    from archive.store import HEADERS_CUT, MAX_HEADERS_CHARS, MAX_STORED_HEADERS

    for table in ("snapshots", "sightings"):
        sql = (f"SELECT headers FROM {table} WHERE "
               + ("url = ?" if table == "snapshots" else "snapshot_id IN (SELECT id FROM snapshots WHERE url = ?)"))
        (stored,), = q(db, sql, site.url("/ndbg/heavy.html"))
        headers = json.loads(stored)
        assert len(stored) < MAX_HEADERS_CHARS + 2000
        assert len(headers) <= MAX_STORED_HEADERS + 1
        assert headers["content-type"].startswith("text/html")
        kept, sent = map(int, re.match(r"kept (\d+) of (\d+) headers", headers[HEADERS_CUT]).groups())
        assert kept == len(headers) - 1 and sent >= len(many)
    assert db.stat().st_size < 2 * 2**20


def _serve_pages(site_url):
    return {"/ndbg/index.html": Page(column([("/ndbg/good.html", "郑州市2021年政府信息公开工作年度报告")])),
            "/ndbg/good.html": Page(GOOD), "/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain")}


def test_a_real_crawl_refuses_loopback_by_literal_ip_and_by_resolved_name(tmp_path):
    pages = _serve_pages(None)
    with serve(pages) as by_ip, serve(pages, host="127.0.0.1", host_name="localhost") as by_name:
        sites = []
        for slug, web in (("zhengzhou", by_ip), ("luoyang", by_name)):
            sites.append({"slug": slug, "name": "郑州市人民政府" if slug == "zhengzhou" else "洛阳市人民政府",
                          "code": "4101" if slug == "zhengzhou" else "4103", "portal": web.url("/"),
                          "columns": [web.url("/ndbg/index.html")]})
        registry = write_registry(tmp_path / "registry.yml", sites)
        db = tmp_path / "a.db"
        done = _crawl(registry, db, *NO_PRIVATE)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert by_ip.hits == [] and by_name.hits == [], "robots.txt or a page was fetched from loopback"
    log = _log(db)
    for web, shown in ((by_ip, "127.0.0.1"), (by_name, "localhost (127.0.0.1)")):
        for path in ("/", "/ndbg/index.html"):
            assert log[web.url(path)] == ("skipped", f"refused: {shown} is a loopback address, not the public web "
                                                     f"({web.url(path)})")
    assert q(db, "SELECT count(*) FROM snapshots")[0][0] == 0
    status = dict(q(db, "SELECT site, status FROM site_status"))  # one run
    assert set(status) == {"zhengzhou", "luoyang"} and "ok" not in status.values()


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"), ("0.0.0.0", "unspecified"), ("100.64.0.1", "not global"),
    ("8.8.8.8", None), ("202.108.22.5", None), ("2001:4860:4860::8888", None), ("[2400:da00::6666]", None),
])
def test_address_kinds(ip, kind):
    assert address_kind(ip) == kind


@pytest.mark.parametrize("value, hosts", [
    (None, set()), ("", set()), ({"www.zhengzhou.gov.cn": "127.0.1.1"}, {"www.zhengzhou.gov.cn"}),
    ('{"WWW.Henan.gov.cn": "127.0.1.2"}', {"www.henan.gov.cn"}),
    ("www.a.gov.cn=127.0.1.1,b.gov.cn=127.0.1.2", {"www.a.gov.cn", "b.gov.cn"}),
    ("www.a.gov.cn:127.0.1.1", {"www.a.gov.cn"}),
])
def test_resolve_mapping_hosts(value, hosts):
    assert resolve_hosts(value) == hosts
