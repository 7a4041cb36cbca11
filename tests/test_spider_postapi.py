"""POSTed JSON list APIs on hand-written variations, no network: the calls page scripts
make ($.ajax, $.post, fetch, axios, XHR), the body and Content-Type each sends, the page
field found by name or offset, the next pages as bodies, and the requests' identity for
Scrapy's dupefilter and a resumed JOBDIR. (The crawl: tests/test_crawl_post_api.py.)"""

from __future__ import annotations

import json
import time

import pytest
import scrapy
from scrapy.utils.request import RequestFingerprinter, request_from_dict

from crawler.dupefilter import DiskDupeFilter
from crawler.pages.html import HtmlPage
from crawler.pages.postapi import FORM, JSON_TYPE, TEXT, post_calls
from crawler.spiders import jsonapi
from crawler.spiders.follow import Follow

BASE = "http://h/xxgk/ndbg/index.html"
JSON_UTF8 = "application/json;charset=UTF-8"
FORM_PLAIN = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("script, url, body, ctype, page, step", [
    # jQuery $.ajax: an object is sent as a form; names the page assigns are resolved; a page variable is page 1
    ('var API_BASE = "/api"; var CHANNEL_ID = 1101; function load(page) { $.ajax({url: API_BASE + "/xxgk/list",'
     ' type: "POST", dataType: "json", data: {channelId: CHANNEL_ID, pageNo: page, pageSize: 15},'
     ' success: function (res) { draw(res.data.list); }}); }',
     "http://h/api/xxgk/list", "channelId=1101&pageNo=1&pageSize=15", FORM, ("pageNo",), 1),
    ("jQuery.ajax({ method: 'post', url: 'getList.do', data: { colId: '12', pageIndex: 0, rows: 20 } });",
     "http://h/xxgk/ndbg/getList.do", "colId=12&pageIndex=0&rows=20", FORM, ("pageIndex",), 1),
    # $.ajax with a JSON string body and its contentType
    ('$.ajax({type: "POST", url: "/gkmlpt/api/search", contentType: "application/json",'
     ' data: JSON.stringify({catId: 5, currentPage: 1, pageSize: 10})});',
     "http://h/gkmlpt/api/search", '{"catId":5,"currentPage":1,"pageSize":10}', JSON_TYPE, ("currentPage",), 1),
    # $.post(url, data, success, type); a config object's key; curPage
    ('var cfg = {catId: "ndbg"}; $.post("/gkml/queryList.do", {catId: cfg.catId, curPage: 1, rows: 10},'
     ' function (data) { draw(data); }, "json");',
     "http://h/gkml/queryList.do", "catId=ndbg&curPage=1&rows=10", FORM, ("curPage",), 1),
    # fetch with JSON.stringify and a header; 0-based pageIndex
    ('fetch("/open/api/docs/page", {method: "POST", headers: {"Content-Type": "application/json;charset=UTF-8"},'
     ' body: JSON.stringify({columnCode: "ndbg", pageIndex: 0, pageSize: 8})}).then(r => r.json());',
     "http://h/open/api/docs/page", '{"columnCode":"ndbg","pageIndex":0,"pageSize":8}', JSON_UTF8,
     ("pageIndex",), 1),
    # fetch without a header sends its string as text/plain, as a browser does
    ("fetch('/api/list', {method: 'POST', body: JSON.stringify({p: 1, size: 5})});",
     "http://h/api/list", '{"p":1,"size":5}', TEXT, ("p",), 1),
    # fetch with URLSearchParams: a form
    ("fetch('/api/list', {method: 'POST', body: new URLSearchParams({channel: 'nb', page: 1})});",
     "http://h/api/list", "channel=nb&page=1", FORM, ("page",), 1),
    # axios.post sends an object as JSON; a let-assigned page number; a nested page object
    ('const DEPT = "4117"; let currentPage = 1; axios.post("/prod-api/info/list", {deptCode: DEPT, page: currentPage,'
     ' size: 10}).then(function (res) {});',
     "http://h/prod-api/info/list", '{"deptCode":"4117","page":1,"size":10}', JSON_TYPE, ("page",), 1),
    ('axios.post("/api/page", {query: {dept: "x"}, page: {current: 1, size: 4}})',
     "http://h/api/page", '{"query":{"dept":"x"},"page":{"current":1,"size":4}}', JSON_TYPE, ("page", "current"), 1),
    # axios with qs.stringify: a form; axios({method, url, data}) with a named object (Vue's queryParams)
    ("axios.post('/api/list', Qs.stringify({pageNum: 1, pageSize: 20}));",
     "http://h/api/list", "pageNum=1&pageSize=20", FORM, ("pageNum",), 1),
    ("data() { return { queryParams: { pageNum: 1, pageSize: 20, deptId: 7 } } },"
     " getList() { axios({ method: 'post', url: '/system/notice/list', data: this.queryParams }) }",
     "http://h/system/notice/list", '{"pageNum":1,"pageSize":20,"deptId":7}', JSON_TYPE, ("pageNum",), 1),
    # XHR: a form string assembled from literals and names, an offset moving by the limit
    ('var CHANNEL = "ndbg"; var xhr = new XMLHttpRequest(); xhr.open("POST", "/xxgk/listJson.do", true);'
     ' xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded"); xhr.onload = function () {};'
     ' xhr.send("channel=" + CHANNEL + "&start=0&limit=5");',
     "http://h/xxgk/listJson.do", "channel=ndbg&start=0&limit=5", FORM_PLAIN, ("start",), 5),
    ("req.open('POST', '/api/docs'); req.setRequestHeader('Content-Type', 'application/json');"
     " req.send(JSON.stringify({offset: 0, limit: 25, col: 'nb'}));",
     "http://h/api/docs", '{"offset":0,"limit":25,"col":"nb"}', JSON_TYPE, ("offset",), 25),
    # axios told the body is a form sends the object as one; a template-literal URL with the page's names
    ("axios.request({url: '/api/l', method: 'POST', data: {pageNo: 1},"
     " headers: {'Content-Type': 'application/x-www-form-urlencoded'}});",
     "http://h/api/l", "pageNo=1", FORM_PLAIN, ("pageNo",), 1),
    ("var CAT = 7; const res = await axios.post(`/api/${CAT}/list`, {pageIndex: 1});",
     "http://h/api/7/list", '{"pageIndex":1}', JSON_TYPE, ("pageIndex",), 1),
    ("$.ajax('/api/l', {type: 'POST', data: {nowPage: 1, c: 'x'}});",
     "http://h/api/l", "nowPage=1&c=x", FORM, ("nowPage",), 1),
    ("jQuery.post('/api/l', 'pn=1&c=2', cb);", "http://h/api/l", "pn=1&c=2", FORM, ("pn",), 1),
    # comments inside the call
    ('$.ajax({\n  // don\'t cache: the list changes\n  url: "/api/list", /* new */ type: "POST",\n'
     '  data: {channelId: 5, pageNo: 1}, // page 1\n});',
     "http://h/api/list", "channelId=5&pageNo=1", FORM, ("pageNo",), 1),
    # jQuery's .load POSTs when given an object (its answer is an HTML fragment)
    ('$("#list").load("/xxgk/list.jsp", {col: 5, pageNo: 1}, function () { bind(); });',
     "http://h/xxgk/list.jsp", "col=5&pageNo=1", FORM, ("pageNo",), 1),
    # arrays of simple values, in JSON and in a jQuery form
    ('axios.post("/api/l", {types: ["ndbg", 2], page: 1})', "http://h/api/l", '{"types":["ndbg",2],"page":1}',
     JSON_TYPE, ("page",), 1),
    ("$.post('/api/l', {types: ['a', 'b'], page: 1})", "http://h/api/l", "types%5B%5D=a&types%5B%5D=b&page=1",
     FORM, ("page",), 1),
    # what the script computes for the page or offset stands for the first page
    ("function more(page) { $.post('/api/l', {ch: 3, start: (page - 1) * 10, limit: 10}); }",
     "http://h/api/l", "ch=3&start=0&limit=10", FORM, ("start",), 10),
    # no page field: one request, no paging
    ("$.post('/api/all', {channel: 'ndbg'});", "http://h/api/all", "channel=ndbg", FORM, None, 1),
])
def test_post_calls(script, url, body, ctype, page, step):
    (call,) = post_calls(script, BASE)
    assert (call.url, call.body(), call.content_type, call.page, call.step) == (url, body, ctype, page, step)


@pytest.mark.parametrize("script", [
    '$.ajax({url: "/api/list", type: "GET", data: {page: 1}});',              # a GET: jsonapi's
    '$.ajax({url: "/api/list", data: {page: 1}});',                           # jQuery's default is GET
    "fetch('/api/list', {method: 'POST', body: {page: 1}});",                  # an object is no fetch body
    "$.post('/api/list', {page: 1, channel: getChannel()});",                  # a value only the browser knows
    "$.post('/api/list', {page: 1, channel: CH});",                            # a name never given a value
    "$.post(buildUrl(), {page: 1});",                                          # a URL only the browser knows
    "xhr.open('POST', '/api/list'); xhr.send(form);",                          # a FormData
    "fetch(`/api/${x}/list`, {method: 'POST', body: 'page=1'});",               # a template of unknown names
    '$("#list").load("/xxgk/list.jsp?col=5&pageNo=1");',                        # .load without an object: a GET
    "$.post('/api/list', {page: 1" + " " * 5000 + "});",                       # too long to be a call
])
def test_calls_that_are_not_read(script):
    assert post_calls(script, BASE) == []


def test_column_page_follows_posts_not_gets_of_the_endpoint():
    html = ('<div id="list"></div><script>var API_BASE = "/api"; $.ajax({url: API_BASE + "/xxgk/list", type: "POST",'
            ' data: {channelId: 5, pageNo: 1}}); $.ajax({url: "/api/other/list", type: "POST", data: {page: 1}});'
            '</script><div data-api="/api/get/list"></div>')
    follows = jsonapi.follow(HtmlPage(html, BASE), html)
    assert [(f.url, f.method, f.body) for f in follows] == [
        ("http://h/api/get/list", "GET", None),  # a GET API the page names is still read
        ("http://h/api/xxgk/list", "POST", "channelId=5&pageNo=1"),
        ("http://h/api/other/list", "POST", "page=1"),
    ]
    assert dict(follows[1].headers)["Content-Type"] == FORM


# --- pages as bodies -------------------------------------------------------------------

def _records(ids, depth: int = 1) -> dict | list:
    rows = [{"title": f"某县{2000 + i}年政府信息公开工作年度报告", "url": f"/a/{i}.html"} for i in ids]
    for _ in range(depth):
        rows = {"data": rows}
    return rows


def _request(body: str, ctype: str, meta: dict | None = None) -> scrapy.Request:
    return scrapy.Request("http://h/api/list", method="POST", body=body, headers={"Content-Type": ctype},
                          meta=meta or {})


def _next(doc, request) -> list[Follow]:
    return [f for f in jsonapi.follow_json(json.dumps(doc, ensure_ascii=False), request.url, request)
            if f.role == "api"]


@pytest.mark.parametrize("doc, pages", [
    ({"data": {"list": _records(range(4))["data"], "total": 10, "pageSize": 4}}, 3),
    ({"result": _records(range(4)), "totalPage": 5}, 5),
    ({"rows": _records(range(4))["data"], "total": 8}, 2),  # no size: page 1's records are one page
])
def test_first_page_with_a_count_fans_out(doc, pages):
    follows = _next(doc, _request("channelId=5&pageNo=1&pageSize=4", FORM))
    assert [f.body for f in follows] == [f"channelId=5&pageNo={n}&pageSize=4" for n in range(2, pages + 1)]
    assert all(f.method == "POST" and dict(f.headers)["Content-Type"] == FORM for f in follows)
    # those pages ask for nothing more
    assert _next(doc, _request(follows[0].body, FORM, dict(follows[0].meta))) == []


def test_json_bodies_page_as_json_nested_and_zero_based():
    body = '{"query":{"dept":"x"},"page":{"pageIndex":0,"size":3}}'
    (nxt,) = _next(_records(range(3), depth=3), _request(body, JSON_UTF8))
    assert json.loads(nxt.body) == {"query": {"dept": "x"}, "page": {"pageIndex": 1, "size": 3}}
    assert dict(nxt.headers)["Content-Type"] == JSON_UTF8


def test_chain_without_a_count_stops_when_a_page_brings_nothing_new():
    (p2,) = _next(_records(range(3)), _request("ch=1&start=0&limit=3", FORM))
    assert p2.body == "ch=1&start=3&limit=3"
    (p3,) = _next(_records(range(3, 6)), _request(p2.body, FORM, dict(p2.meta)))
    assert p3.body == "ch=1&start=6&limit=3"
    assert _next(_records(range(3, 6)), _request(p3.body, FORM, dict(p3.meta))) == []  # the API ignores the page
    assert _next([], _request(p3.body, FORM, dict(p3.meta))) == []                      # past the end


def test_a_body_without_a_page_field_is_one_page():
    assert _next(_records(range(3)), _request('{"channel":"nb"}', JSON_TYPE)) == []


def test_an_absurd_count_fails_loudly():
    from crawler.pages.base import SelectorCountError

    with pytest.raises(SelectorCountError):
        _next({"rows": _records(range(2))["data"], "totalPage": 100000}, _request("page=1", FORM))


# --- identity: the dupefilter and a resumed JOBDIR ---------------------------------------

def _spider_request(f: Follow):
    from crawler.spiders.reports import ReportsSpider

    spider = ReportsSpider(province="henan")
    return spider, spider._request(f, next(iter(spider.sites.values())))


def test_pages_are_distinct_requests_and_a_repeat_is_not(tmp_path):
    (p2,) = _next(_records(range(3)), _request("ch=1&pageNo=1", FORM))
    _, first = _spider_request(Follow("http://h/api/list", "api", method="POST", body="ch=1&pageNo=1",
                                      headers=(("Content-Type", FORM),)))
    _, second = _spider_request(p2)
    assert (first.method, first.body, second.body) == ("POST", b"ch=1&pageNo=1", b"ch=1&pageNo=2")
    fp = RequestFingerprinter()
    assert fp.fingerprint(first) != fp.fingerprint(second)
    seen = DiskDupeFilter(str(tmp_path), fingerprinter=fp)
    assert not seen.request_seen(first) and not seen.request_seen(second) and seen.request_seen(first.copy())
    seen.close()
    resumed = DiskDupeFilter(str(tmp_path), fingerprinter=fp)  # a resumed crawl does not fetch them again
    assert resumed.request_seen(first) and resumed.request_seen(second)
    resumed.close()


def test_a_queued_post_page_survives_the_jobdir():
    (p2,) = _next(_records(range(3)), _request('{"page":1}', JSON_TYPE))
    spider, request = _spider_request(p2)
    back = request_from_dict(request.to_dict(spider=spider), spider=spider)
    assert (back.method, back.body, back.headers.get("Content-Type"), back.callback) == (
        "POST", b'{"page":2}', JSON_TYPE.encode(), spider.parse)
    assert back.meta[jsonapi.PAGE_KEY] == 1 and back.meta[jsonapi.PREVIOUS_KEY] == ("http://h/a/0.html",
                                                                                     "http://h/a/1.html",
                                                                                     "http://h/a/2.html")


def test_hostile_scripts_are_read_in_bounded_time():
    parts = ['$.ajax({url: "/api/" + q' + str(i) + ', type: "POST", data: {a: "' + "(" * 50 + '"}});'
             for i in range(3000)]
    parts += ["$.post('/x', {" * 2000, "xhr.open('POST', '/y');" * 2000, "var p = {" * 5000, '"' + "a" * 200000]
    started = time.monotonic()
    post_calls("\n".join(parts), BASE)
    assert time.monotonic() - started < 60  # bounded: MAX_CALLS calls of MAX_CALL_CHARS each


# --- calls in the page's own external scripts -------------------------------------------

def test_external_scripts_are_read_with_the_pages_configuration():
    from sandbox.cms.gkmlpt import BUNDLE_JS
    from sandbox.post_api import BUNDLE_JS as POST_BUNDLE

    html = ('<div id="app"></div><script>window.pageConfig = {channelId: 1102, pageSize: 6};'
            ' window._CONFIG = {SID: "1958", CAT_ID: 1101};</script>'
            '<script src="/js/jquery-1.12.4.min.js"></script><script src="https://cdn.x.cn/vue.js"></script>'
            '<script src="js/analytics.js"></script><script src="/js/jquery.SuperSlide.2.1.1.js"></script>'
            '<script src="/js/xxgk-list.js?v=3"></script><script src="/js/variable.min.js"></script>'
            '<script src="/gkmlpt/static/js/gkmlpt.bundle.js"></script>')
    follows = jsonapi.script_follows(HtmlPage(html, BASE))
    assert [f.url for f in follows] == ["http://h/js/xxgk-list.js?v=3", "http://h/js/variable.min.js",
                                        "http://h/gkmlpt/static/js/gkmlpt.bundle.js"]
    assert {f.role for f in follows} == {"script"}
    meta = dict(follows[0].meta)
    (post,) = jsonapi.follow_script(POST_BUNDLE, meta)
    assert (post.url, post.method, post.body) == ("http://h/api/xxgk/list", "POST", "channelId=1102&pageNo=1&pageSize=6")
    (get,) = jsonapi.follow_script(BUNDLE_JS, meta)  # a GET API the bundle assembles from the page's _CONFIG
    assert (get.url, get.method) == ("http://h/gkmlpt/api/all/1101?page=1&sid=1958", "GET")
    assert jsonapi.follow_script("console.log('nothing here');", meta) == []



def test_jquery_calls_are_marked_as_xhr_on_every_page():
    html = ("<script>$.post('/api/list', {ch: 'nb', pageNo: 1}); "
            "fetch('/api/docs', {method: 'POST', body: JSON.stringify({pageNo: 1})});</script>")
    jq, fe = jsonapi.follow(HtmlPage(html, BASE), html)
    assert dict(jq.headers) == {"Content-Type": FORM, "X-Requested-With": "XMLHttpRequest",
                                "Accept": jsonapi.ACCEPT}
    assert dict(fe.headers) == {"Content-Type": TEXT, "Accept": jsonapi.ACCEPT}
    request = scrapy.Request(jq.url, method="POST", body=jq.body, headers={**dict(jq.headers), "Referer": BASE},
                             meta=dict(jq.meta))
    (nxt,) = _next(_records(range(2)), request)
    assert dict(nxt.headers) == dict(jq.headers) and nxt.body == "ch=nb&pageNo=2"  # no Referer carried over


def test_get_apis_without_a_count_page_by_their_query_the_same_way():
    first = scrapy.Request("http://h/api/list?col=5&pageNo=1")
    (p2,) = _next(_records(range(3)), first)
    assert (p2.url, p2.method) == ("http://h/api/list?col=5&pageNo=2", "GET")
    (p3,) = _next(_records(range(3, 6)), scrapy.Request(p2.url, meta=dict(p2.meta)))
    assert p3.url == "http://h/api/list?col=5&pageNo=3"
    assert _next(_records(range(3, 6)), scrapy.Request(p3.url, meta=dict(p3.meta))) == []
    assert _next(_records(range(3)), scrapy.Request("http://h/api/list?col=5")) == []  # no page parameter
    counted = {"rows": _records(range(3))["data"], "totalPage": 3}
    assert [f.url for f in _next(counted, first)] == [f"http://h/api/list?col=5&pageNo={n}" for n in (2, 3)]


def test_pages_in_the_url_of_a_post_or_as_an_offset_of_a_get():
    post = scrapy.Request("http://h/api/list?pageNo=1", method="POST", body="ch=nb",
                          headers={"Content-Type": FORM})
    (p2,) = _next(_records(range(3)), post)
    assert (p2.url, p2.method, p2.body) == ("http://h/api/list?pageNo=2", "POST", "ch=nb")
    counted = {"rows": _records(range(3))["data"], "totalPage": 3}
    assert [f.url for f in _next(counted, post)] == ["http://h/api/list?pageNo=2", "http://h/api/list?pageNo=3"]
    (g2,) = _next(_records(range(3)), scrapy.Request("http://h/api/list?start=0&limit=3"))
    assert g2.url == "http://h/api/list?start=3&limit=3"


def test_a_post_answered_with_an_html_fragment_is_read_as_its_entries():
    rows = "".join(f'<li><a href="/a/{i}.html">某县{2000 + i}年政府信息公开工作年度报告</a></li>' for i in range(3))
    request = _request("colId=nb&pageNum=1", FORM)
    follows = jsonapi.follow_json(f"<ul>{rows}</ul><div>共3页</div>", request.url, request)
    assert [f.url for f in follows if f.role == "item"] == [f"http://h/a/{i}.html" for i in range(3)]
    assert [f.body for f in follows if f.role == "api"] == ["colId=nb&pageNum=2", "colId=nb&pageNum=3"]
    chained = jsonapi.follow_json(f"<ul>{rows}</ul>", request.url, request)  # no count: the next page only
    assert [f.body for f in chained if f.role == "api"] == ["colId=nb&pageNum=2"]


def test_repeated_form_fields_survive_paging():
    (call,) = post_calls("$.post('/api/l', {types: ['a', 'b'], page: 1})", BASE)
    (nxt,) = _next(_records(range(2)), _request(call.body(), FORM))
    assert nxt.body == "types%5B%5D=a&types%5B%5D=b&page=2"
    (nxt,) = _next(_records(range(2)), _request("col=1&col=2&pageNo=1", FORM))
    assert nxt.body == "col=1&col=2&pageNo=2"


def test_each_posted_page_is_a_fetch_log_row_of_its_own():
    from crawler.extensions.fetchlog import logged_url

    pages = [scrapy.Request("http://h/api/list", method="POST", body=f"ch=1&pageNo={n}") for n in (1, 2)]
    assert [logged_url(r) for r in pages] == ["http://h/api/list POST ch=1&pageNo=1",
                                              "http://h/api/list POST ch=1&pageNo=2"]
    assert logged_url(scrapy.Request("http://h/a.html", meta={"redirect_urls": ["http://h/b.html"]})) == \
        "http://h/b.html"


def test_a_post_to_another_site_is_not_sent():
    from types import SimpleNamespace

    from crawler.spiders.reports import ReportsSpider

    spider = ReportsSpider(province="henan")
    site = next(iter(spider.sites.values()))
    home = site.portal.rstrip("/")
    html = (f"<script>$.post('{home}/api/list', {{pageNo: 1}}); $.post('http://other.example.cn/api/list',"
            " {pageNo: 1});</script>")
    follows = jsonapi.follow(HtmlPage(html, home + "/xxgk/"), html)
    assert [f.url for f in follows] == [f"{home}/api/list", "http://other.example.cn/api/list"]
    sent = list(spider._follow(follows, SimpleNamespace(meta={}, url=home + "/xxgk/"), site))
    assert [(r.method, r.url, r.body) for r in sent] == [("POST", f"{home}/api/list", b"pageNo=1")]
