"""Transport faults injected per site/path and at random with a seed."""

from __future__ import annotations

import http.client
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from sandbox import server
from sandbox.faults import FaultTable


def _table() -> FaultTable:
    t = FaultTable(seed=1)
    t.add("henan", "/zwgk/ndbg/index.html", "status", status=503, times=2)
    t.add("henan-luoyang", "/api/list", "reset")
    t.add("yunnan", "/ndbg/index.htm", "truncate")
    t.add("fujian", "/loop", "redirect_loop")
    t.add("yunnan-kunming", "/zwgk/ndbg/", "wrong_type", content_type="application/json")
    t.add("henan-zhumadian", "/ndbg/", "charset_flip")
    t.add("fujian-xiamen", "*", "calendar_trap")
    t.add("henan-zhengzhou", "/art/", "timeout", seconds=1.5)
    t.add("henan-zhengzhou", "/col/", "drip", seconds=0.002)
    t.add("fujian-quanzhou", "/big", "oversize", size=3_000_000)
    return t


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=2, slow_seconds=0, faults=_table())
    yield handle
    handle.stop()


def status_of(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_status_burst_then_recovery(sandbox):
    url = sandbox.url("henan", "/zwgk/ndbg/index.html")
    assert [status_of(url) for _ in range(3)] == [503, 503, 200]


def test_connection_reset(sandbox):
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, urllib.error.URLError)):
        urllib.request.urlopen(sandbox.url("henan-luoyang", "/api/list?channel=ndbg&page=1"), timeout=5).read()


def test_truncated_body(sandbox):
    with urllib.request.urlopen(sandbox.url("yunnan", "/ndbg/index.htm"), timeout=5) as r:
        with pytest.raises(http.client.IncompleteRead):
            r.read()


def test_redirect_loop(sandbox):
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(sandbox.url("fujian", "/loop"), timeout=5)
    assert exc.value.code == 302 and "loop" in str(exc.value.reason).lower()


def test_wrong_content_type(sandbox):
    with urllib.request.urlopen(sandbox.url("yunnan-kunming", "/zwgk/ndbg/"), timeout=5) as r:
        assert r.headers.get_content_type() == "application/json"
        assert r.read().startswith(b"<!DOCTYPE html>")


def test_charset_flip_sends_utf8_from_a_gbk_site(sandbox):
    site = sandbox.world.site("henan-zhumadian")
    assert site.charset == "gbk"
    with urllib.request.urlopen(site.base_url + "/ndbg/index.htm", timeout=5) as r:
        body = r.read()
    assert "驻马店市人民政府" in body.decode("utf-8")
    with urllib.request.urlopen(site.base_url + "/", timeout=5) as r:  # outside the rule: GBK as usual
        assert "驻马店市人民政府".encode("gbk") in r.read()


def test_calendar_trap_is_endless(sandbox):
    base = sandbox.world.site("fujian-xiamen").base_url
    with urllib.request.urlopen(base + "/", timeout=5) as r:
        assert b'href="/calendar/?date=2024-01-01"' in r.read()
    url, seen = base + "/calendar/?date=2024-01-01", set()
    for _ in range(30):
        with urllib.request.urlopen(url, timeout=5) as r:
            page = r.read().decode("utf-8")
        seen.add(url)
        url = base + re.search(r'<a href="([^"]+)">下一天</a>', page).group(1)
    assert len(seen) == 30 and url.endswith("2024-01-31")


def test_timeout_and_drip(sandbox):
    report = next(r for r in sandbox.world.site("henan-zhengzhou").reports if r.kind == "html")
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(report.url, timeout=0.5).read()
    column = sandbox.world.site("henan-zhengzhou").columns[0]
    t = time.monotonic()
    with urllib.request.urlopen(sandbox.url("henan-zhengzhou", column.path), timeout=30) as r:
        body = r.read()
    assert time.monotonic() - t > 0.2 and body.rstrip().endswith(b"</html>")


def test_oversize(sandbox):
    with urllib.request.urlopen(sandbox.url("fujian-quanzhou", "/big"), timeout=10) as r:
        assert int(r.headers["Content-Length"]) == 3_000_000
        assert len(r.read()) == 3_000_000


def test_random_faults_repeat_with_the_seed():
    def run() -> list[int]:
        t = FaultTable(seed=9)
        t.randomly(rate=0.4, kinds=("status",))
        with server.start(seed=2, slow_seconds=0, faults=t) as h:
            return [status_of(h.url("yunnan", "/")) for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 200 in first and set(first) - {200} <= {500, 502, 503} and set(first) != {200}


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultTable().add("*", "*", "gremlins")


def test_hostile_markup_keeps_the_numbers():
    lxml_html = pytest.importorskip("lxml.html")
    t = FaultTable()
    t.add("henan", "/zwgk/ndbg/2", "xss")
    t.add("fujian", "/zwgk/ndbg/2", "malformed_table")
    with server.start(seed=2, slow_seconds=0, faults=t) as h:
        for slug, kind in (("henan", "xss"), ("fujian", "malformed_table")):
            site = h.world.site(slug)
            r = next(r for r in site.reports if r.kind == "html" and r.format == "2021" and r.column == "ndbg")
            with urllib.request.urlopen(r.url, timeout=5) as resp:
                body = resp.read()
            if kind == "xss":
                assert b"<title><script>alert('title')</script>" in body and b'onerror="alert(1)"' in body
            else:
                assert b"</td>" not in body and b"<table><table " in body
            doc = lxml_html.fromstring(body.decode(site.charset))
            cells = [td.text_content().strip() for td in doc.iter("td")]
            want = r.record["tables"]["applications"]["new_received"]["total"]["raw"]
            assert want in cells
