"""Chromium's own requests while it renders obey the crawl's rules (crawler/renderguard.py,
crawler/renderproxy.py): scope, addresses, robots.txt, each redirect hop.

A sandbox site whose JavaScript-only list page also reaches for another host (XHR, script,
image, iframe, https), a robots.txt-disallowed path, redirects to both, an IPv6 literal and
an unresolvable name (sandbox/features.py `stray_requests`); a bystander site on another
loopback address stands for the hosts the page must not reach. The sandbox logs every
request it serves: the refused ones never arrive."""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from protego import Protego

from crawler.renderguard import Guard, Refused
from crawler.renderproxy import GuardProxy, tls_context
from sandbox import server, world
from sandbox.catalog import BodySpec, SiteSpec
from sandbox.features import STRAY
from tests.crawl_support import FAST, q
from tests.test_crawl_mechanisms import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
HOSTILE, BYSTANDER = "t-js-stray", "t-bystander"
SITES = (
    SiteSpec(HOSTILE, "static", (BodySpec("濮阳市人民政府", "city", "4109"),),
             features=("js_only_list:xhr", "stray_requests")),
    # another province's: a henan crawl never has it in scope
    SiteSpec(BYSTANDER, "static", (BodySpec("福州市人民政府", "city", "3501"),)),
)
# what the hostile page asks for, by the rule that refuses it when the crawl's scope decides
STRAYS_OUT_OF_SCOPE = ("xhr.json", "hop.json", "pixel.png", "evil.js", "frame.html", "tls.json", "v6.json", "name.json",
                       "local.json")
STRAYS_ROBOTS = ("/search/stray.json?q=1", "/search/hop.json")


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=7, world=world.build_world(7, sites=SITES, slow_seconds=0), slow_seconds=0)
    yield handle
    handle.stop()


def _host(site) -> str:
    return site.base_url.split("//")[1].rsplit(":", 1)[0]


def _paths(sandbox, slug: str, since: int = 0) -> list[str]:
    """The paths the sandbox served `slug` (from its `since`-th logged request on)."""
    return [path for s, _, path, _ in list(sandbox.requests)[since:] if s == slug]


# --- the guard's rules, no browser ----------------------------------------------------
@pytest.mark.parametrize("url, kind, address", [
    ("http://127.0.0.1/", "loopback", "127.0.0.1"), ("http://127.9.9.9:8080/x", "loopback", "127.9.9.9"),
    ("http://10.0.0.5/x", "private", "10.0.0.5"), ("http://192.168.1.1/", "private", "192.168.1.1"),
    ("http://169.254.169.254/latest/meta-data/", "link-local", "169.254.169.254"),
    ("http://[::1]:81/", "loopback", "::1"), ("http://[::ffff:127.0.0.1]/", "loopback", "::ffff:7f00:1"),
    ("http://[fe80::1]/", "link-local", "fe80::1"), ("https://10.1.2.3:443/", "private", "10.1.2.3"),
    ("http://localhost:9/", "loopback", None),  # a name: judged by the address it resolves to
])
def test_guard_refuses_addresses_off_the_public_web(url, kind, address):
    guard = Guard(in_scope=lambda u: True)
    with pytest.raises(Refused) as exc:
        guard.admit(url)
    assert exc.value.reason == "address" and f"is a {kind} address" in str(exc.value)
    assert guard.summary() == {"address": 1}
    # NIANBAO_ALLOW_PRIVATE_ADDRESSES: the same URL goes to the address it names or resolves to
    allowed = Guard(in_scope=lambda u: True, allow_private=True)
    assert allowed.admit(url) == (address or socket.getaddrinfo("localhost", 9, type=socket.SOCK_STREAM)[0][4][0])
    assert allowed.refused == []


def test_guard_rules_in_order_scope_address_robots():
    asked = []

    def robots(url):
        asked.append(url)
        return "/search/" not in url

    guard = Guard(in_scope=lambda u: "gov.cn" in u or "93.184" in u, site="x", robots=robots,
                  mapped={"www.x.gov.cn": "127.0.1.9"})
    assert guard.admit("http://www.x.gov.cn:8080/list/") == "127.0.1.9"  # mapped: the operator's address
    assert guard.admit("http://93.184.215.14/a") == "93.184.215.14"
    for url, reason in [("ftp://www.x.gov.cn/f", "scope"), ("http://evil.example.com/", "scope"),
                        ("http://www.x.gov.cn/search/?q=1", "robots"), ("http://10.0.0.1.gov.cn.invalid/", None)]:
        try:
            guard.admit(url)
        except Refused as exc:
            assert exc.reason == reason, url
        except OSError:  # does not resolve: no address, no refusal
            assert reason is None
    # robots.txt is asked only of what scope and address let through; a CONNECT has no path
    assert asked == ["http://www.x.gov.cn:8080/list/", "http://93.184.215.14/a", "http://www.x.gov.cn/search/?q=1"]
    assert guard.admit("https://www.x.gov.cn:443/", path_known=False) == "127.0.1.9" and len(asked) == 3
    assert guard.summary() == {"scope": 2, "robots": 1}


# --- the proxy, spoken to directly ----------------------------------------------------
def _through(proxy, method: str, target: str, headers: dict | None = None):
    port = int(proxy.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_proxy_forwards_allowed_refuses_the_rest_and_never_follows_redirects(sandbox):
    site, other = sandbox.world.site(HOSTILE), sandbox.world.site(BYSTANDER)
    own = _host(site)
    guard = Guard(in_scope=lambda u: u.split("//")[1].startswith(own + ":"), allow_private=True,
                  robots=lambda u: "/search/" not in u)
    column = site.columns[0].path
    folder = column.rsplit("/", 1)[0] + "/"
    with GuardProxy(guard, timeout=30, max_bytes=1 << 20) as proxy:
        status, _, body = _through(proxy, "GET", site.base_url + folder + "data.txt")
        assert status == 200 and len(json.loads(body)["rows"]) == len(site.columns[0].entries)
        # a redirect to another host comes back as it is: the browser asks for the hop itself
        hop = other.base_url + STRAY + "hop.json"
        status, headers, _ = _through(proxy, "GET", f"{site.base_url}{folder}go.htm?to={hop}")
        assert status == 302 and headers["Location"] == hop
        assert _through(proxy, "GET", hop)[0] == 403
        assert _through(proxy, "POST", site.base_url + "/search/x.json")[0] == 403  # robots
        assert _through(proxy, "CONNECT", other.base_url.split("//")[1], {"Host": "x"})[0] == 403
        assert _through(proxy, "GET", "/relative/path")[0] == 400
        oversize = GuardProxy(guard, timeout=30, max_bytes=100)
        with oversize:
            assert _through(oversize, "GET", site.base_url + column)[0] == 502  # over the cap
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        slow = Guard(in_scope=lambda u: True, allow_private=True)
        with GuardProxy(slow, timeout=1) as proxy:
            status, _, body = _through(proxy, "GET", f"http://127.0.0.1:{silent.getsockname()[1]}/")
            assert status == 502 and b"timed out" in body
    assert _paths(sandbox, BYSTANDER) == []
    assert [(r, m.split(" is ")[0]) for r, m in guard.refused] == [
        ("scope", f"out of scope: {hop}"), ("robots", f"robots.txt disallows {site.base_url}/search/x.json"),
        ("scope", f"out of scope: https://{other.base_url.split('//')[1]}/")]


class _Https(http.server.ThreadingHTTPServer):
    """An https server on loopback with fixed pages; `seen` lists the paths it was asked."""

    daemon_threads = True

    def __init__(self, pages: dict[str, tuple[int, str, str]]):
        super().__init__(("127.0.0.1", 0), _HttpsHandler)
        self.pages, self.seen = pages, []
        self.socket = tls_context().wrap_socket(self.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _HttpsHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.seen.append(self.path)
        status, kind, body = self.server.pages.get(self.path, (404, "text/plain", "not found"))
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())


ROBOTS = "User-agent: *\nDisallow: /search/\n"


def _robots(url: str) -> bool:
    return Protego.parse(ROBOTS).can_fetch(url, "nianbao")


def test_proxy_judges_every_request_inside_an_https_tunnel():
    """CONNECT to an allowed host: the requests inside are judged one by one (robots.txt,
    redirect hops); CONNECT to another host or address: 403, no tunnel."""
    upstream = _Https({"/ok.json": (200, "application/json", '{"ok": 1}'),
                       "/search/x.json": (200, "application/json", "{}"),
                       "/go": (302, "text/plain", "https://127.0.0.2:8443/stray/hop.json")})
    port = upstream.server_address[1]
    guard = Guard(in_scope=lambda u: f"//127.0.0.1:{port}/" in u, allow_private=True, robots=_robots)
    client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_tls.check_hostname, client_tls.verify_mode = False, ssl.CERT_NONE
    with GuardProxy(guard, timeout=10) as proxy:
        conn = http.client.HTTPSConnection("127.0.0.1", int(proxy.url.rsplit(":", 1)[1]), timeout=10,
                                           context=client_tls)
        conn.set_tunnel(f"127.0.0.1:{port}")
        answers = []
        for path in ("/ok.json", "/search/x.json", "/go"):
            conn.request("GET", path)
            resp = conn.getresponse()
            answers.append((resp.status, resp.getheader("Location"), resp.read()))
        conn.close()
        assert answers == [(200, None, b'{"ok": 1}'), (403, None, answers[1][2]),
                           (302, "https://127.0.0.2:8443/stray/hop.json", b"https://127.0.0.2:8443/stray/hop.json")]
        assert _through(proxy, "CONNECT", "127.0.0.2:8443")[0] == 403  # the hop's host: no tunnel
        assert _through(proxy, "CONNECT", "[::1]:443")[0] == 403
    upstream.shutdown()
    assert upstream.seen == ["/ok.json", "/go"]
    assert guard.refused == [("robots", f"robots.txt disallows https://127.0.0.1:{port}/search/x.json"),
                             ("scope", "out of scope: https://127.0.0.2:8443/ is not a site of this crawl"),
                             ("scope", "out of scope: https://[::1]/ is not a site of this crawl")]


# --- Chromium, rendering the hostile page ------------------------------------------------
@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_chromium_render_refuses_private_addresses_the_page_asks_for(sandbox):
    """Everything in scope, private addresses not allowed: the page's host is the operator's
    (mapped, NIANBAO_RESOLVE), every other loopback address is refused by address."""
    from crawler.browser import render
    from crawler.pages.html import HtmlPage

    site, other = sandbox.world.site(HOSTILE), sandbox.world.site(BYSTANDER)
    name = f"www.{HOSTILE}.gov.cn"
    port = int(site.base_url.rsplit(":", 1)[1])
    url = f"http://{name}:{port}{site.columns[0].path}"
    guard = Guard(in_scope=lambda u: True, mapped={name: _host(site)})
    before = len(sandbox.requests)
    dom, apis = render(url, binary=CHROMIUM, seconds=90, guard=guard)
    assert {r.title for r in site.reports} <= {link.text for link in HtmlPage(dom, url).links()}
    assert apis == [f"http://{name}:{port}{site.columns[0].path.rsplit('/', 1)[0]}/data.txt"]
    refused = {m.split("(")[-1].rstrip(")") for r, m in guard.refused if r == "address"}
    for path in ("xhr.json", "hop.json", "pixel.png", "evil.js", "frame.html"):
        assert f"{other.base_url}{STRAY}{path}" in refused, path
    assert f"https://{other.base_url.split('//')[1]}/" in refused
    assert f"http://[::1]:{port}{STRAY}v6.json" in refused
    assert any(m.startswith("refused: localhost (") and m.endswith(f"{STRAY}local.json)")  # by what it resolves to
               for r, m in guard.refused if r == "address")
    assert [p for s, _, p, _ in list(sandbox.requests)[before:] if s == BYSTANDER] == []


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_chromium_https_page_each_request_judged_inside_the_tunnel():
    """An https page: its XHRs' paths meet robots.txt and its redirect's hop is judged,
    though they travel inside TLS; what the guard allows draws the list."""
    from crawler.browser import render

    page = """<html><body><ul id="list"></ul><script>
    function get(u, then) { var x = new XMLHttpRequest(); x.open("GET", u);
      x.onload = function () { then && then(x.responseText); }; x.send(); }
    get("/data.json", function (t) { JSON.parse(t).forEach(function (r) {
      document.getElementById("list").insertAdjacentHTML("beforeend", '<li><a href="' + r[1] + '">' + r[0] + '</a></li>');
    }); });
    get("/search/secret.json"); get("/go");
    </script></body></html>"""
    rows = [["2023年政府信息公开工作年度报告", "/r/2023.html"], ["2022年政府信息公开工作年度报告", "/r/2022.html"]]
    upstream = _Https({"/list.html": (200, "text/html; charset=utf-8", page),
                       "/data.json": (200, "application/json", json.dumps(rows, ensure_ascii=False)),
                       "/search/secret.json": (200, "application/json", "[]"),
                       "/go": (302, "text/plain", "https://127.0.0.2:8443/stray/hop.json")})
    port = upstream.server_address[1]
    guard = Guard(in_scope=lambda u: f"//127.0.0.1:{port}/" in u, allow_private=True, robots=_robots)
    dom, apis = render(upstream.base + "/list.html", binary=CHROMIUM, seconds=90, guard=guard)
    upstream.shutdown()
    assert all(f'<a href="{href}">{title}</a>' in dom for title, href in rows)
    assert apis == [upstream.base + "/data.json"]
    assert "/search/secret.json" not in upstream.seen and {"/list.html", "/data.json", "/go"} <= set(upstream.seen)
    refused = [(r, m) for r, m in guard.refused if "127.0.0" in m]
    assert refused == [("robots", f"robots.txt disallows {upstream.base}/search/secret.json"),
                       ("scope", "out of scope: https://127.0.0.2:8443/ is not a site of this crawl")]


# --- a real crawl ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def crawled(sandbox, tmp_path_factory):
    d = tmp_path_factory.mktemp("renderguard")
    (d / "registry.yml").write_text(yaml.safe_dump({"sites": world.registry_entries(sandbox)}, allow_unicode=True),
                                    encoding="utf-8")
    db, before = d / "archive.db", len(sandbox.requests)
    cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", "henan", "--registry", str(d / "registry.yml"),
           "--db", str(db), *FAST, "-s", "NIANBAO_BROWSER=auto", "--progress", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    return db, proc, before


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_crawl_archives_the_list_and_chromium_never_reaches_what_the_crawl_refuses(sandbox, crawled):
    db, proc, before = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    site = sandbox.world.site(HOSTILE)
    archived = {url for (url,) in q(db, "SELECT source_url FROM reports")}
    assert archived == {r.url for r in site.reports if r.expected}
    stats = json.loads(q(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats["pages_rendered"] == 1
    assert stats["render_refused_robots"] == len(STRAYS_ROBOTS)
    assert stats["render_refused_scope"] >= len(STRAYS_OUT_OF_SCOPE)  # and Chromium's own calls home
    assert "render_refused_address" not in stats  # the sandbox's addresses are allowed
    assert stats["render_refused"] == stats["render_refused_robots"] + stats["render_refused_scope"]
    line = next(x for x in proc.stderr.splitlines() if "requests of the page refused" in x)
    assert f"robots {len(STRAYS_ROBOTS)}" in line and f"scope {stats['render_refused_scope']}" in line
    assert f"robots.txt disallows {site.base_url}/search/" in line  # an example of each reason
    assert (f"browser: 1 column pages rendered, 0 failed; {stats['render_refused']} of Chromium's requests refused "
            f"(scope {stats['render_refused_scope']}, robots 2)") in proc.stdout
    # nothing the page asked of another host reached it; no disallowed path was served
    assert not [p for p in _paths(sandbox, BYSTANDER, before) if p.startswith(STRAY)]
    assert not [p for p in _paths(sandbox, HOSTILE, before) if p.startswith("/search/")]
    # what the guard let through did arrive: the list's data, and the redirects themselves
    assert sum(p.endswith("/data.txt") for p in _paths(sandbox, HOSTILE, before)) >= 1
    assert sorted(p.split("to=")[1] for p in _paths(sandbox, HOSTILE, before) if "go.htm?to=" in p) == [
        "%2Fsearch%2Fhop.json", quote(sandbox.world.site(BYSTANDER).base_url + STRAY + "hop.json", safe="")]
