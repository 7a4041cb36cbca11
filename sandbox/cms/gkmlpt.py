"""Guangdong's 政府信息公开目录 platform (gkmlpt) and its look-alikes.

The column page is an empty shell: a configuration object and a script that
fetches the list from an API and draws it. Three variations (the seed picks one
per site), differing in how the script names the endpoint and in the JSON:

  getjson  window._CONFIG = {SID, CAT_ID}; $.getJSON("/gkmlpt/api/all/" + _CONFIG.CAT_ID
           + "?page=" + page + "&sid=" + _CONFIG.SID)
           → {"articles": [{"id", "title", "url" (absolute), "first_publish_time"}], "total": N}
  fetchvar var catId = 1101, siteId = "…"; var apiUrl = "/gkmlpt/api/list/" + catId + "?pageNo="
           + pageNo + "&siteId=" + siteId; fetch(apiUrl)
           → {"code": 0, "data": {"page": {"totalPages": P, "pageNo": n}, "list": [{"wjbt", "wjlj", "fbrq"}]}}
  config   var GKML_OPTS = {listApi: "/gkmlpt/api/docs?cat=1101&sid=…", el: "#app"}; page added in code
           → {"success": true, "result": {"records": [{"docTitle", "docUrl", "pubTime"}],
              "pageInfo": {"total": N, "pageSize": S}}}

  bundle   (pinned only: "gkmlpt:bundle") window._CONFIG = {SID, CAT_ID} and an external
           script (the platform's real shape) that calls /gkmlpt/api/all/…?page=1 and draws page 1
           with a pager of spans: only a browser's network log reveals the endpoint
           → the getjson answer

Articles /gkmlpt/content/1/1234/post_1234.html wrap their files,
/attachment/0/234/1234/1234.pdf.
"""

from __future__ import annotations

import json

from sandbox import render_html, response
from sandbox.cms import paginate

CONTAINER = ('<div class="article-content" id="zoomcon">', "</div>")
SERVER = "nginx/1.18.0"


def _variant(site) -> str:
    from sandbox.features import variant

    return variant(site, "gkmlpt")  # pinned by a "gkmlpt:<v>" feature, else chosen by the seed


def _sid(site) -> str:
    return str(sum(map(ord, site.slug)) % 9000 + 1000)  # stable across runs (no hash())


def column_path(key: str, n: int) -> str:
    return f"/gkmlpt/{key}/index"


def article_path(column, item_id: int, date: str) -> str:
    return f"/gkmlpt/content/{item_id // 1000}/{item_id}/post_{item_id}.html"


def attachment_path(column, item_id: int, date: str, ext: str) -> str:
    return f"/attachment/0/{item_id % 1000}/{item_id}/{item_id}.{ext}"


def _shell(site, column) -> str:
    v, sid = _variant(site), _sid(site)
    draw = """function draw(items) {
    document.getElementById("app").innerHTML = "<ul>" + items.map(function (d) {
      return '<li><a href="' + d[0] + '">' + d[1] + '</a></li>'; }).join("") + "</ul>";
  }"""
    if v == "getjson":
        return f"""<div id="app" class="gkmlpt-app"></div>
<script>window._CONFIG = {{SID: "{sid}", CAT_ID: {column.number}, SITE_NAME: "{site.name}"}};</script>
<script src="/gkmlpt/static/js/jquery.min.js"></script>
<script>
$(function () {{
  {draw}
  function load(page) {{
    $.getJSON("/gkmlpt/api/all/" + _CONFIG.CAT_ID + "?page=" + page + "&sid=" + _CONFIG.SID, function (res) {{
      draw(res.articles.map(function (a) {{ return [a.url, a.title]; }}));
    }});
  }}
  load(1);
}});
</script>"""
    if v == "fetchvar":
        return f"""<div id="app"></div>
<script>
var catId = {column.number}, siteId = "{sid}";
(function () {{
  {draw}
  function load(pageNo) {{
    var apiUrl = "/gkmlpt/api/list/" + catId + "?pageNo=" + pageNo + "&siteId=" + siteId;
    fetch(apiUrl).then(function (r) {{ return r.json(); }}).then(function (res) {{
      draw(res.data.list.map(function (a) {{ return [a.wjlj, a.wjbt]; }}));
    }});
  }}
  load(1);
}})();
</script>"""
    if v == "bundle":  # the real platform's shape: the endpoint only inside the external bundle
        return f"""<div id="app"></div>
<script>window._CONFIG = {{SID: "{sid}", CAT_ID: {column.number}}};</script>
<script src="{BUNDLE_PATH}"></script>"""
    return f"""<div id="app"></div>
<script>var GKML_OPTS = {{listApi: "/gkmlpt/api/docs?cat={column.number}&sid={sid}", el: "#app"}};</script>
<script>
(function () {{
  {draw}
  var xhr = new XMLHttpRequest();
  xhr.open("GET", GKML_OPTS.listApi + "&page=1");
  xhr.onload = function () {{
    var res = JSON.parse(xhr.responseText);
    draw(res.result.records.map(function (a) {{ return [a.docUrl, a.docTitle]; }}));
  }};
  xhr.send();
}})();
</script>"""


BUNDLE_JS = """(function () {
  var c = window._CONFIG, app = document.getElementById("app");
  var xhr = new XMLHttpRequest();
  xhr.open("GET", "/gkmlpt/api/all/" + c.CAT_ID + "?page=1&sid=" + c.SID);
  xhr.onload = function () {
    var res = JSON.parse(xhr.responseText), pages = Math.ceil(res.total / res.articles.length);
    var pager = [];
    for (var i = 1; i <= pages; i++) { pager.push('<span class="page" data-page="' + i + '">' + i + '</span>'); }
    app.innerHTML = "<ul>" + res.articles.map(function (a) {
      return '<li><a href="' + a.url + '">' + a.title + '</a></li>'; }).join("") + "</ul>" + pager.join(" ");
  };
  xhr.send();
})();
"""
BUNDLE_PATH = "/gkmlpt/static/js/gkmlpt.bundle.js"


def listing_routes(site, column) -> dict:
    def render():
        return render_html.listing(site, column, _shell(site, column), "")

    return {column.path: render}


def _answer(site, column, page: int) -> dict:
    v = _variant(site)
    size = site.spec.page_size
    pages = paginate(column.entries, size)
    items = pages[page - 1] if 1 <= page <= len(pages) else []
    if v in ("getjson", "bundle"):
        return {"classify": {"id": column.number, "name": column.name},
                "articles": [{"id": i, "title": e.title, "url": site.base_url + e.path,
                              "first_publish_time": e.date} for i, e in enumerate(items)],
                "total": len(column.entries)}
    if v == "fetchvar":
        return {"code": 0, "msg": "ok", "data": {"page": {"totalPages": len(pages), "pageNo": page},
                                               "list": [{"wjbt": e.title, "wjlj": e.path, "fbrq": e.date}
                                                        for e in items]}}
    return {"success": True, "result": {"records": [{"docTitle": e.title, "docUrl": e.path, "pubTime": e.date}
                                                    for e in items],
                                        "pageInfo": {"total": len(column.entries), "pageSize": size}}}


def api(site, request):
    path, q = request.path, request.query
    v = _variant(site)
    if v == "bundle" and path == BUNDLE_PATH:
        return response.Response(body=BUNDLE_JS.encode(), content_type="application/javascript; charset=utf-8")
    try:
        if v in ("getjson", "bundle") and path.startswith("/gkmlpt/api/all/"):
            number, page = int(path.rsplit("/", 1)[1]), int(q.get("page", "1"))
        elif v == "fetchvar" and path.startswith("/gkmlpt/api/list/"):
            number, page = int(path.rsplit("/", 1)[1]), int(q.get("pageNo", "1"))
        elif v == "config" and path == "/gkmlpt/api/docs":
            number, page = int(q.get("cat", "0")), int(q.get("page", "1"))
        else:
            return None
    except ValueError:
        return response.Response(status=400, body=b'{"code":400}', content_type="application/json")
    column = next((c for c in site.columns if c.number == number), None)
    if column is None:
        return response.Response(status=404, body=b'{"code":404}', content_type="application/json")
    body = json.dumps(_answer(site, column, page), ensure_ascii=False).encode("utf-8")
    return response.Response(body=body, content_type="application/json;charset=UTF-8")
