"""Feature post_json_list: a column filled by a script that POSTs to a JSON list API.

The column page has no entry links; its script POSTs the channel and a page number
(or offset) to an endpoint that answers 405 to GET, so only a crawler that sends the
body the script sends reads the list. Each variation differs in every respect the
mechanism must not depend on:

  variant  call                  body                  page field          records at           count
  ajax     $.ajax({type:'POST'}) form                  pageNo (1-based)    data.list            total + pageSize
  post     $.post(url, {...})    form                  curPage             result.rows          none (chain)
  fetch    fetch(…, {method})    JSON.stringify        pageIndex (0-based) data.data.records    totalPage
  axios    axios.post(url, obj)  JSON                  page.current        rows (top level)     total only
  xhr      xhr.open/send         form string (concat)  start + limit       a bare array         none (chain)
  fragment $.post(url, {...}, fn)  form                  pageNum             an HTML fragment     共N页 in it
  bundle   $.ajax in an external script (/js/xxgk-list.js) reading the page's inline
           window.pageConfig; a jquery.min.js beside it; answers as ajax does

The server checks what a real one checks: the method (405), the Content-Type the
endpoint reads (415), the channel (400), jQuery's X-Requested-With where a filter
demands it (ajax, bundle: 403), and pages by the body's own field.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qsl

from sandbox import render_html, response
from sandbox.cms import paginate

VARIANTS = ("ajax", "post", "fetch", "axios", "xhr", "fragment", "bundle")
ENDPOINTS = {"ajax": "/api/xxgk/list", "bundle": "/api/xxgk/list", "post": "/gkml/queryList.do", "fetch": "/open/api/docs/page",
             "axios": "/prod-api/info/list", "xhr": "/xxgk/listJson.do", "fragment": "/xxgk/listFragment.do"}
JSON_BODY = ("fetch", "axios")
BUNDLE = "/js/xxgk-list.js"
LIBRARY = "/js/jquery.min.js"
BUNDLE_JS = """(function ($) {
  var cfg = window.pageConfig;
  function loadPage(n) {
    $.ajax({ url: "/api/xxgk/list", type: "post", dataType: "json",
             data: { channelId: cfg.channelId, pageNo: n, pageSize: cfg.pageSize },
             success: function (res) { $("#list").html(res.data.list.map(function (d) {
               return "<li><a href='" + d.url + "'>" + d.title + "</a></li>"; }).join("")); } });
  }
  $(function () { loadPage(1); });
})(jQuery);
"""
FORM = "application/x-www-form-urlencoded"


def _script(v: str, column, size: int) -> str:
    """The column page's loader: one call style per variation, page 1 loaded at once."""
    if v == "ajax":
        return f"""var API_BASE = "/api"; var CHANNEL_ID = {column.number};
function loadList(page) {{
  $.ajax({{
    url: API_BASE + "/xxgk/list", type: "POST", dataType: "json",
    data: {{channelId: CHANNEL_ID, pageNo: page, pageSize: {size}}},
    success: function (res) {{ renderList(res.data.list); renderPager(res.data.total, page); }}
  }});
}}
$(function () {{ loadList(1); }});"""
    if v == "post":
        return f"""var cfg = {{catId: "{column.key}", title: "{column.name}"}};
function more(curPage) {{
  $.post("/gkml/queryList.do", {{catId: cfg.catId, curPage: curPage, rows: {size}}}, function (data) {{
    $("#list").append(data.result.rows.map(function (r) {{ return "<li>" + r.docTitle + "</li>"; }}).join(""));
  }}, "json");
}}
more(1);"""
    if v == "fetch":
        return f"""const state = {{ columnCode: "{column.key}", pageIndex: 0 }};
function load() {{
  fetch("/open/api/docs/page", {{
    method: "POST",
    headers: {{"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"}},
    body: JSON.stringify({{columnCode: "{column.key}", pageIndex: 0, pageSize: {size}}})
  }}).then(function (r) {{ return r.json(); }}).then(function (res) {{ draw(res.data.data.records); }});
}}
document.addEventListener("DOMContentLoaded", load);"""
    if v == "axios":
        return f"""const DEPT_CODE = "{column.key}-{column.number}";
new Vue({{ el: "#app", data: {{ rows: [], total: 0 }},
  mounted() {{
    axios.post("/prod-api/info/list", {{deptCode: DEPT_CODE, page: {{current: 1, size: {size}}}}})
      .then(res => {{ this.rows = res.data.rows; this.total = res.data.total; }});
  }} }});"""
    if v == "fragment":
        return f"""function loadPage(pageNum) {{
  $.post("/xxgk/listFragment.do", {{colId: "{column.key}", pageNum: pageNum}}, function (html) {{
    $("#list").html(html);
  }});
}}
loadPage(1);"""
    return f"""var CHANNEL = "{column.key}";
function fetchRows(start) {{
  var xhr = new XMLHttpRequest();
  xhr.open("POST", "/xxgk/listJson.do", true);
  xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
  xhr.onload = function () {{ show(JSON.parse(xhr.responseText)); }};
  xhr.send("channel=" + CHANNEL + "&start=0&limit={size}");
}}
fetchRows(0);"""


def listing_routes(site, column, v: str) -> dict:
    if v == "bundle":
        script = (f'<script>window.pageConfig = {{channelId: {column.number}, pageSize: {site.spec.page_size}}};'
                  f'</script>\n<script src="{LIBRARY}"></script>\n<script src="{BUNDLE}"></script>')
    else:
        script = f"<script>\n{_script(v, column, site.spec.page_size)}\n</script>"
    shell = f'<div id="app"><ul id="list"></ul><div id="pager"></div></div>\n{script}'

    return {column.path: lambda: render_html.listing(site, column, shell, "")}


def _json(data, status: int = 200) -> response.Response:
    return response.Response(status=status, body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
                             content_type="application/json;charset=UTF-8")


def _fields(v: str, request) -> dict | None:
    """The body as this endpoint reads it (JSON or form, by its Content-Type); None: unreadable."""
    ctype = request.headers.get("content-type", "").lower()
    if v in JSON_BODY:
        if "application/json" not in ctype:
            return None
        try:
            data = json.loads(request.body.decode("utf-8"))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    if FORM not in ctype:
        return None
    return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _column(v: str, site, fields: dict):
    want = {"ajax": str(fields.get("channelId")), "post": fields.get("catId"), "fetch": fields.get("columnCode"),
            "axios": fields.get("deptCode"), "xhr": fields.get("channel"), "fragment": fields.get("colId")}[v]
    for c in site.columns:
        if want in (str(c.number), c.key, f"{c.key}-{c.number}"):
            return c
    return None


def api(site, request, v: str) -> response.Response | None:
    if v == "bundle" and request.path in (BUNDLE, LIBRARY):
        body = BUNDLE_JS if request.path == BUNDLE else "/*! jQuery v1.12.4 | (c) jQuery Foundation */"
        return response.Response(body=body.encode(), content_type="application/javascript; charset=utf-8")
    if request.path != ENDPOINTS[v]:
        return None
    v = "ajax" if v == "bundle" else v  # the same endpoint, called from another script
    if request.method != "POST":
        return response.Response(status=405, body=b'{"code":405,"msg":"Request method \'GET\' not supported"}',
                                 content_type="application/json;charset=UTF-8", headers=[("Allow", "POST")])
    if v == "ajax" and request.headers.get("x-requested-with") != "XMLHttpRequest":
        return _json({"code": 403, "msg": "非法请求"}, 403)  # as filters that only serve jQuery's calls do
    fields = _fields(v, request)
    if fields is None:
        return _json({"code": 415, "msg": "Content type not supported"}, 415)
    column = _column(v, site, fields)
    if column is None:
        return _json({"code": 400, "msg": "栏目不存在", "data": None}, 400)
    size = site.spec.page_size
    entries = column.entries
    if v == "xhr":  # an offset, not a page
        start = max(0, _int(fields.get("start"), 0))
        rows = entries[start:start + max(1, min(50, _int(fields.get("limit"), size)))]
        return _json([{"title": e.title, "link": e.path, "date": e.date} for e in rows])
    page = {"ajax": lambda: _int(fields.get("pageNo"), 1), "post": lambda: _int(fields.get("curPage"), 1),
            "fetch": lambda: _int(fields.get("pageIndex"), 0) + 1,
            "axios": lambda: _int(fields["page"].get("current") if isinstance(fields.get("page"), dict) else None, 1),
            "fragment": lambda: _int(fields.get("pageNum"), 1)}[v]()
    pages = paginate(entries, size)
    items = pages[page - 1] if 1 <= page <= len(pages) else []
    if v == "ajax":
        return _json({"code": 200, "msg": "操作成功", "data": {
            "list": [{"title": e.title, "url": e.path, "publishDate": e.date} for e in items],
            "total": len(entries), "pageNo": page, "pageSize": size}})
    if v == "fragment":
        rows = "".join(f'<li><a href="{e.path}" target="_blank" title="{escape(e.title)}">{escape(e.title)}</a>'
                       f"<span>{e.date}</span></li>" for e in items)
        return response.Response(body=f'<ul class="list">{rows}</ul><div class="page">共{len(pages)}页</div>'.encode(),
                                 content_type="text/html;charset=UTF-8")
    if v == "post":
        return _json({"success": True, "result": {
            "rows": [{"docTitle": e.title, "docUrl": e.path, "pubDate": e.date} for e in items]}})
    if v == "fetch":
        return _json({"success": True, "data": {"data": {
            "records": [{"wjbt": e.title, "wjlj": e.path, "fbrq": e.date} for e in items]},
            "totalPage": len(pages)}})
    return _json({"code": 0, "rows": [{"name": e.title, "href": e.path, "time": e.date} for e in items],
                  "total": len(entries)})
