"""Sites whose column page is a script shell filled from a JSON listing API:

    GET /api/list?channel=ndbg&page=1
    {"code": 0, "total": 73, "pages": 8, "page": 1, "size": 10,
     "data": [{"title": "…", "url": "/xxgk/ndbg/content/post_1234.html", "pubDate": "2021-01-22"}]}

The shell has no report links at all: a crawler must find and call the API.
Articles at /xxgk/ndbg/content/post_1234.html, attachments /xxgk/ndbg/content/files/1234.pdf.
"""

from __future__ import annotations

import json

from sandbox import render_html, response
from sandbox.cms import paginate

CONTAINER = ('<div class="article-content" id="UCAP-CONTENT">', "</div>")
SERVER = "openresty"
API = "/api/list"


def column_path(key: str, n: int) -> str:
    return f"/xxgk/{key}/index.html"


def article_path(column, item_id: int, date: str) -> str:
    return f"/xxgk/{column.key}/content/post_{item_id}.html"


def attachment_path(column, item_id: int, date: str, ext: str) -> str:
    return f"/xxgk/{column.key}/content/files/{item_id}.{ext}"


def listing_routes(site, column) -> dict:
    shell = f"""<div id="list" data-channel="{column.key}" data-api="{API}"></div>
<div id="pager"></div>
<script>
(function () {{
  var channel = "{column.key}";
  function load(page) {{
    fetch("{API}?channel=" + channel + "&page=" + page)
      .then(function (r) {{ return r.json(); }})
      .then(function (res) {{
        var ul = res.data.map(function (d) {{
          return '<li><a href="' + d.url + '">' + d.title + '</a><span>' + d.pubDate + '</span></li>';
        }}).join("");
        document.getElementById("list").innerHTML = "<ul>" + ul + "</ul>";
      }});
  }}
  load(1);
}})();
</script>"""

    def render():
        return render_html.listing(site, column, shell, "")

    return {column.path: render, column.path.removesuffix("index.html"): render}


def api(site, request):
    if request.path != API:
        return None
    channel = request.query.get("channel", "")
    column = next((c for c in site.columns if c.key == channel), None)
    if column is None:
        body = json.dumps({"code": 404, "msg": "栏目不存在", "data": []}, ensure_ascii=False)
        return response.Response(status=404, body=body.encode(), content_type="application/json;charset=UTF-8")
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    pages = paginate(column.entries, site.spec.page_size)
    items = pages[page - 1] if page <= len(pages) else []
    data = {"code": 0, "total": len(column.entries), "pages": len(pages), "page": page,
            "size": site.spec.page_size,
            "data": [{"title": e.title, "url": e.path, "pubDate": e.date} for e in items]}
    body = json.dumps(data, ensure_ascii=False)
    return response.Response(body=body.encode("utf-8"), content_type="application/json;charset=UTF-8")
