"""The sandbox over real HTTP: every CMS family's pagination, site statuses, robots,
redirects, dead links, slow pages and charsets, checked against the ground truth."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urljoin

import pytest

from sandbox import server, world


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=11, slow_seconds=0.4)
    yield handle
    handle.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, data: bytes | None = None, follow: bool = True):
    """(status, headers, body, final url) — HTTP errors are answers, not exceptions."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.headers, r.read(), r.url
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read(), url


def links(body: bytes, base: str) -> list[str]:
    """Links of the listing block (not the nav). Links are ASCII, so latin-1 reads
    them from GBK and UTF-8 pages alike."""
    block = re.search(r'<ul class="list">(.*?)</ul>', body.decode("latin-1"), re.S)
    return [urljoin(base, h) for h in re.findall(r'<li><a href="([^"]+)"', block.group(1))] if block else []


# --- one listing walker per CMS family, reading only what a crawler sees -----------

def walk_trs(column_url: str) -> list[str]:
    _, _, body, _ = fetch(column_url)
    text = body.decode("latin-1")
    m = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"html"\)', text)
    if m:
        pages = int(m.group(1))
        assert m.group(2) == "0"  # classic form: current page is 0-based
    else:
        m = re.search(r"createPageHTML\('page_div',(\d+),(\d+),'index','html',(\d+)\)", text)
        pages = int(m.group(1))
        assert m.group(2) == "1"  # page_div form: 1-based, plus the record count
    found = links(body, column_url)
    for k in range(1, pages):
        url = urljoin(column_url, f"index_{k}.html")
        status, _, page, _ = fetch(url)
        assert status == 200
        found += links(page, url)
    assert fetch(urljoin(column_url, f"index_{pages}.html"))[0] == 404
    return found


def walk_hanweb(column_url: str) -> list[str]:
    _, _, body, _ = fetch(column_url)
    text = body.decode("latin-1")
    total = int(re.search(r"totalRecord: (\d+)", text).group(1))
    per = int(re.search(r"perPage: (\d+)", text).group(1))
    column_id = re.search(r"columnid: (\d+)", text).group(1)
    proxy = urljoin(column_url, re.search(r'proxyUrl: "([^"]+)"', text).group(1))
    inline = re.findall(r'<record><!\[CDATA\[<li><a href="([^"]+)"', text)
    assert 0 < len(inline) <= per * 3 or total == 0
    found: list[str] = []
    start = 1
    while start <= total:
        params = {"startrecord": start, "endrecord": start + per * 3 - 1, "perpage": per,
                  "col": 1, "appid": 1, "webid": 1, "columnid": column_id}
        status, headers, xml, _ = fetch(proxy, data=urlencode(params).encode())  # POST, as jpage does
        assert status == 200 and headers.get_content_type() == "text/xml"
        assert f"<totalrecord>{total}</totalrecord>" in xml.decode("latin-1")
        found += [urljoin(column_url, h) for h in
                  re.findall(r'<record><!\[CDATA\[<li><a href="([^"]+)"', xml.decode("latin-1"))]
        start += per * 3
    assert [urljoin(column_url, h) for h in inline] == found[: len(inline)]
    # The proxy answers GET with the same records.
    _, _, got, _ = fetch(proxy + "?" + urlencode({"startrecord": 1, "endrecord": per, "perpage": per,
                                                   "columnid": column_id}))
    assert got.decode("latin-1").count("<record>") == min(per, total)
    return found


def walk_jsonapi(column_url: str) -> list[str]:
    _, _, body, _ = fetch(column_url)
    text = body.decode("latin-1")
    assert not links(body, column_url)  # the shell lists nothing: the API is the only way
    channel = re.search(r'data-channel="([^"]+)"', text).group(1)
    api = urljoin(column_url, re.search(r'data-api="([^"]+)"', text).group(1))
    found, page, pages = [], 1, 1
    while page <= pages:
        status, headers, raw, _ = fetch(f"{api}?channel={channel}&page={page}")
        assert status == 200 and headers.get_content_type() == "application/json"
        data = json.loads(raw)
        pages = data["pages"]
        assert {"title", "url", "pubDate"} <= set(data["data"][0])
        found += [urljoin(column_url, d["url"]) for d in data["data"]]
        page += 1
    assert len(found) == data["total"]
    assert json.loads(fetch(f"{api}?channel={channel}&page={pages + 1}")[2])["data"] == []
    return found


def walk_static(column_url: str) -> list[str]:
    found, url, seen = [], column_url, set()
    while url and url not in seen:
        seen.add(url)
        status, _, body, _ = fetch(url)
        assert status == 200
        found += links(body, url)
        nxt = re.search(r'<a href="([^"]+)">下一页</a>', _decode(body))
        url = urljoin(url, nxt.group(1)) if nxt else None
    return found


def _decode(body: bytes) -> str:
    # Whatever the page declares: UTF-8 if it decodes, else GBK (as crawlers must guess).
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gbk")


WALKERS = {"trs": walk_trs, "hanweb": walk_hanweb, "jsonapi": walk_jsonapi, "static": walk_static}


def _ok_sites(handle):
    return [s for s in handle.world.sites if s.status == "ok"]


@pytest.mark.parametrize("family", sorted(WALKERS))
def test_listing_pagination_finds_every_entry(sandbox, family):
    sites = [s for s in _ok_sites(sandbox) if s.cms == family]
    assert sites
    for site in sites:
        for column in site.registered_columns:
            found = WALKERS[family](site.base_url + column.path)
            expected = [site.base_url + e.path for e in column.entries]
            assert found == expected, (site.slug, column.key)
            assert len(found) > site.spec.page_size or family == "hanweb"  # really paginated


def test_following_listings_reaches_exactly_the_expected_reports(sandbox):
    """Walk every registered column of a province, follow redirects and attachment
    links, and compare the documents reached with expected_reports."""
    w = sandbox.world
    for province in w.provinces:
        reached = set()
        for site in [s for s in _ok_sites(sandbox) if s.province is province]:
            for column in site.registered_columns:
                for url in WALKERS[site.cms](site.base_url + column.path):
                    if url.endswith((".pdf", ".docx")):  # a direct attachment link
                        reached.add(url)
                        continue
                    status, _, body, final = fetch(url)
                    if status != 200:
                        continue
                    m = re.search(r'附件：<a href="([^"]+)"', body.decode(site.charset))
                    reached.add(urljoin(final, m.group(1)) if m else final)
        expected = {rec["source"] for rec in world.expected_reports(w, province.code)}
        decoys = {d.url for d in w.decoys}
        # Reports reachable from the registered columns, plus decoys; 往年年报 sits behind robots.
        assert expected <= reached, province.slug
        assert reached - expected <= decoys, province.slug


def test_henan_robots_hides_old_reports(sandbox):
    site = sandbox.world.site("henan")
    status, _, body, _ = fetch(site.base_url + "/robots.txt")
    assert status == 200
    assert "Disallow: /zwgk/wnnb/" in body.decode().splitlines()
    hidden = [r for r in site.reports if r.reason == "robots"]
    assert hidden and all(r.year <= 2015 and r.body.level == "department" for r in hidden)
    # The sub-column is linked from the department column, and it exists: only robots forbids it.
    _, _, col, _ = fetch(site.base_url + "/zwgk/bmndbg/")
    assert 'href="/zwgk/wnnb/"' in col.decode()
    assert fetch(site.base_url + "/zwgk/wnnb/")[0] == 200


def test_site_statuses(sandbox):
    w = sandbox.world
    blocked = w.site("fujian-fuzhou")
    status, headers, body, _ = fetch(blocked.base_url + blocked.columns[0].path)
    assert status == 412 and "FSSBBIl1UgzbN7N80S=" in headers["Set-Cookie"]
    assert b"$_ts" in body and b"<script" in body
    assert fetch(blocked.reports[0].url)[0] == 412
    qujing = w.site("yunnan-qujing")
    assert fetch(qujing.base_url + "/robots.txt")[2].decode().endswith("User-agent: *\nDisallow: /\n")
    putian = w.site("fujian-putian")
    entry = next(e for e in world.registry_entries(sandbox) if e["slug"] == "fujian-putian")
    assert fetch(entry["columns"][0])[0] == 404
    assert fetch(putian.base_url + "/")[0] == 200
    yuxi = w.site("yunnan-yuxi")
    assert fetch(yuxi.base_url + "/")[0] == 503
    dali = w.site("yunnan-dali")
    listed = walk_jsonapi(dali.base_url + dali.columns[0].path)
    assert listed and set(listed) == {d.url for d in dali.decoys}
    assert not dali.reports


def test_redirects_dead_links_and_slow_pages(sandbox):
    moved = [r for s in _ok_sites(sandbox) for r in s.reports if r.moved_from]
    assert {r.redirect_status for r in moved} == {301, 302}
    for r in moved:
        status, headers, _, _ = fetch(r.site.base_url + r.moved_from, follow=False)
        assert status == r.redirect_status and headers["Location"] == r.path
        status, _, body, final = fetch(r.site.base_url + r.moved_from)
        assert status == 200 and final == r.url
    dead = [(s, p) for s in _ok_sites(sandbox) for p in s.dead_links]
    assert dead
    for site, path in dead:
        assert fetch(site.base_url + path)[0] == 404
        assert path in [e.path for e in site.columns[0].entries]
    site = next(s for s in _ok_sites(sandbox) if s.slow_paths)
    t = time.monotonic()
    assert fetch(site.base_url + site.slow_paths[0])[0] == 200
    assert time.monotonic() - t >= 0.4


def test_gbk_sites_send_gbk_and_one_lies(sandbox):
    for site in sandbox.world.sites:
        if site.status != "ok":
            continue
        r = next(r for r in site.reports if r.kind == "html")
        status, headers, body, _ = fetch(r.url)
        assert status == 200
        assert headers.get_content_charset() == site.declared_charset
        assert f"charset={site.declared_charset}".encode() in body
        assert r.body.name.encode(site.charset) in body
        if site.charset == "gbk":
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
    liar = sandbox.world.site("henan-zhumadian")
    _, headers, body, _ = fetch(liar.base_url + liar.columns[0].path)
    assert headers.get_content_charset() == "utf-8" and b'charset=utf-8"' in body
    assert "驻马店市人民政府" in body.decode("gbk")


def test_report_page_chrome_and_meta(sandbox):
    r = next(r for r in sandbox.world.reports if r.expected and r.kind == "html" and r.site.cms == "trs")
    text = fetch(r.url)[2].decode(r.site.charset)
    for chrome in ("无障碍浏览", "长者专版", "当前位置", "微信", "微博", "网站标识码", 'class="TRS_Editor"'):
        assert chrome in text
    assert f'<meta name="PubDate" content="{r.published} 09:30">' in text
    assert f"<h1 class=\"article-title\">{r.title}</h1>" in text
    hanweb = next(r for r in sandbox.world.reports if r.expected and r.kind == "html" and r.site.cms == "hanweb")
    assert '<div id="zoom">' in fetch(hanweb.url)[2].decode(hanweb.site.charset)


def test_decoys_are_served_and_are_not_reports(sandbox):
    for d in sandbox.world.decoys[:12]:
        status, _, body, _ = fetch(d.url)
        if d.site.status != "ok":
            continue
        assert status == 200
        assert d.title.replace("“", "").encode(d.site.charset)[:12] in body
    notice = next(d for d in sandbox.world.decoys if d.kind == "format_notice" and d.site.status == "ok")
    text = fetch(notice.url)[2].decode(notice.site.charset)
    assert "国办公开办函〔2021〕30号" in text and 'rowspan="22"' in text  # the blank template table
