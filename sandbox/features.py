"""Site features that exercise discovery mechanisms, each in several variations.

A SiteSpec lists features by key; `"key:variant"` pins a variation, a bare key
lets the seed choose one (`variant`). Every variation is a different markup of
the same mechanism, so a crawler passes only by recognising the mechanism:

  script_pager      listing pages reached by script calls: goPage / turnPage / gotoPage /
                    toPage, each building its URL differently (index_N.html with an offset,
                    list.jsp?pageNo=N, list_N.htm, ?page=N), with or without a page count
  post_pager        listing pages reached by POSTing a form: the page field's name, its base
                    (0 or 1), the handler (inline onclick, a function, jQuery) vary
  extless_download  report files served from download endpoints without an extension
                    (/download?fileid=N, /attach/getfile.do?id=N, /DownLoad.aspx?FileName=…,
                    /downfile/N), sent as octet-stream or force-download, with the name in
                    Content-Disposition as RFC 5987 UTF-8, raw GBK, percent-encoded, or absent
  pdf_viewer        the wrapper page shows the PDF through pdf.js viewer.html?file=… (link
                    or iframe; the file parameter encoded once or twice, relative or absolute)
  iframe_pdf        the wrapper page embeds the file in an <iframe>, <embed> or <object>
  js_only_list      the column is built by JavaScript from inline data or an XHR whose URL the
                    script assembles: no link in the HTML, only a browser sees the entries
  post_json_list    the column is filled by a script POSTing to a JSON list API that answers 405
                    to GET: $.ajax / $.post / fetch / axios / XHR, form or JSON bodies, page fields
                    and record nesting varying (sandbox/post_api.py)
  stray_requests    (with js_only_list) the list page's script also reaches for what a crawl
                    must not fetch: another host's XHR, script, image, iframe and https URL,
                    a robots.txt-disallowed path, redirects (go.htm?to=) to both, an IPv6
                    literal, an unresolvable name, localhost — a renderer must refuse them all
  framed_list       the column page holds no list itself: an <iframe> (or a <frameset>'s <frame>)
                    shows the listing page, which pages as the family's listings do
  page_source       how article pages print their source: ContentSource meta, a glued
                    来源：…浏览次数 line, or 发布机构：…发布时间 (no meta)
  year_first_titles reports are titled 2021年政府信息公开工作年度报告 (no body): those whose page
                    names the body (HTML reports, wrapped files), and the owner's files
  mostly_files      most reports are PDF/DOCX files (the file mechanisms meet many)
  more_decoys       extra decoys: 法治政府建设年度报告, 统计公报, 政务公开工作要点, a blank template
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

from sandbox import post_api, render_html, response
from sandbox.cms import paginate

VARIANTS = {
    "gkmlpt": ("getjson", "fetchvar", "config"),  # the gkmlpt family's shape (sandbox/cms/gkmlpt.py)
    "script_pager": ("goPage", "turnPage", "gotoPage", "toPage"),
    "post_pager": ("inline", "function", "jquery"),
    "extless_download": ("fileid", "getfile", "aspx", "downfile"),
    "disposition": ("utf8", "gbk", "percent", "none"),
    "pdf_viewer": ("link", "iframe", "double", "relative"),
    "iframe_pdf": ("iframe", "embed", "object"),
    "js_only_list": ("inline", "xhr"),
    "page_source": ("meta", "glued", "publisher"),
    "framed_list": ("iframe", "frameset"),
    "post_json_list": post_api.VARIANTS,
}
PAGER_FEATURES = ("script_pager", "post_pager", "js_only_list", "post_json_list")
WRAPPING_FEATURES = ("pdf_viewer", "iframe_pdf")


def has(site, key: str) -> bool:
    return any(f == key or f.startswith(key + ":") for f in site.features)


# Variations a site shows without naming the key: the file name header of an
# extension-less download (given that feature), the JSON/endpoint shape of a gkmlpt
# site (None: given that cms family).
IMPLIED = {"disposition": "extless_download", "gkmlpt": None}


def variant(site, key: str) -> str | None:
    """The variation of feature `key` this site shows (pinned, or chosen by the seed);
    None when the site does not have the feature."""
    for f in site.features:
        if f.startswith(key + ":"):
            return f.split(":", 1)[1]
    implied = key in IMPLIED and (site.cms == key if IMPLIED[key] is None else has(site, IMPLIED[key]))
    if not (has(site, key) or implied):
        return None
    from sandbox.world import rng_for

    return rng_for(site.world.seed, site.slug, key).choice(VARIANTS[key])


# --- download endpoints -------------------------------------------------------------

def download_path(site, report_id: int, title: str, kind: str) -> str:
    v = variant(site, "extless_download")
    if v == "fileid":
        return f"/download?fileid={report_id}"
    if v == "getfile":
        return f"/attach/getfile.do?id={report_id}&type=1"
    if v == "aspx":
        return f"/DownLoad.aspx?FileName={quote(f'{report_id}.{kind}')}"
    return f"/downfile/{report_id}"


def file_headers(site, report, ctype: str) -> tuple[str, list[tuple[str, str]]]:
    """Content-Type and headers of a report file as an extension-less endpoint sends it."""
    name = f"{report.title}.{report.kind}"
    v = variant(site, "disposition")
    ctype = ("application/octet-stream", "application/force-download", ctype)[report.id % 3]
    if v == "utf8":
        return ctype, [("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")]
    if v == "gbk":  # raw GBK bytes in the header, as old IIS/Java servers send them
        return ctype, [("Content-Disposition", f'attachment; filename="{name.encode("gbk").decode("latin-1")}"')]
    if v == "percent":
        return ctype, [("Content-Disposition", f'attachment; filename="{quote(name)}"')]
    return "application/octet-stream", []  # no name at all: only the bytes tell


# --- wrapper pages ------------------------------------------------------------------

def wraps(site) -> bool:
    return any(has(site, k) for k in WRAPPING_FEATURES)


def wrapper_inner(site, report) -> str | None:
    """The body of the article page around a report file, for the viewer/frame features."""
    intro = f"<p>现将{escape(report.title)}予以公布。</p>\n"
    if report.kind == "pdf" and has(site, "pdf_viewer"):
        v = variant(site, "pdf_viewer")
        target = report.path
        if v == "relative":  # relative to the viewer's own directory (/static/pdfjs/web/)
            param = quote("../../.." + target, safe="")
        elif v == "double":
            param = quote(quote(target, safe=""), safe="")
        else:
            param = quote(site.base_url + target if v == "iframe" else target, safe="")
        viewer = f"/static/pdfjs/web/viewer.html?file={param}"
        if v == "iframe":
            return intro + f'<iframe src="{escape(viewer)}" width="100%" height="800" frameborder="0"></iframe>'
        return intro + f'<p><a href="{escape(viewer)}" target="_blank">在线阅读</a></p>'
    if has(site, "iframe_pdf"):
        v = variant(site, "iframe_pdf")
        src = escape(report.path)
        if v == "embed":
            return intro + f'<embed src="{src}" type="application/pdf" width="100%" height="800">'
        if v == "object":
            return intro + (f'<object type="application/pdf" width="100%" height="800">'
                            f'<param name="src" value="{src}"><p>您的浏览器不支持在线阅读。</p></object>')
        return intro + f'<iframe src="{src}" width="100%" height="800"></iframe>'
    if has(site, "extless_download"):
        text = ("点击下载", "下载附件", f"{escape(report.title)}")[report.id % 3]
        return intro + f'<p>附件：<a href="{escape(report.path)}" target="_blank">{text}</a></p>'
    return None


VIEWER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>PDF.js viewer</title>
<script src="../build/pdf.js"></script></head><body><div id="viewerContainer"><div id="viewer" class="pdfViewer">
</div></div><script>var file = new URLSearchParams(location.search).get("file");</script></body></html>"""


# --- listings ---------------------------------------------------------------------

def _folder(column) -> str:
    return column.path.rsplit("/", 1)[0] + "/"


def _script_pager(site, column, k: int, n: int) -> str:
    v = variant(site, "script_pager")
    if v == "goPage":
        js = ('function goPage(n){ if (n == 1) { location.href = "index.html"; } '
              'else { location.href = "index_" + (n - 1) + ".html"; } }')
        links = " ".join(f'<a href="javascript:goPage({i})">{i}</a>' for i in range(1, n + 1))
        return f"<script>{js}</script><div class=\"pages\">共{n}页 {links}</div>"
    if v == "turnPage":
        js = 'function turnPage(p) {\n  window.location = "list.jsp?cat=' + column.key + '&pageNo=" + p;\n}'
        links = " ".join(f'<a href="#" onclick="turnPage({i});return false;">{i}</a>' for i in range(1, n + 1))
        return f"<script>{js}</script><div class=\"pages\">{links} 共{n}页</div>"
    if v == "gotoPage":
        js = 'var gotoPage = function (page) { document.location.href = "./list_" + page + ".htm"; };'
        nxt = f"<a href=\"javascript:gotoPage('{k + 1}')\">下一页</a>" if k < n else ""
        return f"<script>{js}</script><div class=\"pages\">当前第{k}页 {nxt}</div>"
    js = 'function toPage(i) { location.assign("?page=" + i); }'
    nxt = f'<a href="javascript:;" onclick="toPage({k + 1})">下一页</a>' if k < n else ""
    return f"<script>{js}</script><div class=\"pages\">第{k}/{n}页 {nxt}</div>"


def _post_pager(site, column, k: int, n: int) -> str:
    v = variant(site, "post_pager")
    if v == "inline":
        links = " ".join(
            f'<a href="javascript:void(0)" onclick="document.getElementById(\'pageNo\').value={i};'
            f'document.getElementById(\'pageForm\').submit();">{i}</a>' for i in range(1, n + 1))
        return (f'<form id="pageForm" method="post" action="{column.path}"><input type="hidden" id="pageNo" '
                f'name="pageNo" value="{k}"><input type="hidden" name="channel" value="{column.key}"></form>'
                f'<div class="pages">共{n}页 {links}</div>')
    if v == "function":
        js = ("function submitPage(n) {\n  document.forms['listForm'].pageIndex.value = n - 1;\n"
              "  document.forms['listForm'].submit();\n}")
        links = " ".join(f'<a href="javascript:submitPage({i})">{i}</a>' for i in range(1, n + 1))
        return (f'<form name="listForm" method="post" action="{_folder(column)}list.do">'
                f'<input type="hidden" name="pageIndex" value="{k - 1}">'
                f'<input type="hidden" name="channelId" value="{column.number}"></form>'
                f'<script>{js}</script><div class="pages">{links}</div>')
    js = 'function turnTo(p){ $("#cur_page").val(p); $("#searchForm").submit(); }'
    nxt = f'<a href="#" onclick="turnTo({k + 1})">下一页</a>' if k < n else ""
    return (f'<form id="searchForm" method="POST" action="{_folder(column)}search.jsp">'
            f'<input type="hidden" name="cur_page" id="cur_page" value="{k}">'
            f'<input type="text" name="keyword" value=""><input type="hidden" name="col" value="{column.key}">'
            f'</form><script>{js}</script><div class="pages">{nxt}</div>')


def _js_only(site, column) -> str:
    entries = column.entries
    if variant(site, "js_only_list") == "inline":
        data = json.dumps([[e.title, e.path.lstrip("/").replace("/", "|"), e.date] for e in entries],
                          ensure_ascii=False)
        return f"""<div id="list"></div>
<script>
var _rows = {data};
(function () {{
  var html = _rows.map(function (r) {{
    return '<li><a href="/' + r[1].split("|").join("/") + '">' + r[0] + '</a><span>' + r[2] + '</span></li>';
  }}).join("");
  document.getElementById("list").innerHTML = "<ul>" + html + "</ul>";
}})();
</script>"""
    return f"""<div id="list"></div>
<script>
(function () {{
  var xhr = new XMLHttpRequest();
  xhr.open("GET", ["{_folder(column)}", "da", "ta", ".t", "xt"].join(""));
  xhr.onload = function () {{
    var rows = JSON.parse(xhr.responseText).rows;
    document.getElementById("list").innerHTML = "<ul>" + rows.map(function (r) {{
      return '<li><a href="/' + r[1].split("|").join("/") + '">' + r[0] + '</a></li>';
    }}).join("") + "</ul>";
  }};
  xhr.send();
}})();
</script>"""


STRAY = "/stray/"  # every path the stray requests ask of another host starts so
GO = "go.htm"  # ?to=URL: an open redirect on the site itself


def _strays(site, column) -> str:
    """What a hostile column page's script tries besides drawing its list (stray_requests)."""
    other = next(s for s in site.world.sites if s is not site).base_url  # another host of the sandbox
    port = site.world.port or int(site.base_url.rsplit(":", 1)[1])
    go = _folder(column) + GO + "?to="
    urls = [f"{other}{STRAY}xhr.json", "/search/stray.json?q=1", f"{go}{quote(other + STRAY + 'hop.json', safe='')}",
            f"{go}{quote('/search/hop.json', safe='')}", f"https://{other.split('//')[1]}{STRAY}tls.json",
            f"http://[::1]:{port}{STRAY}v6.json", f"http://intranet.{site.slug}.invalid:{port}{STRAY}name.json",
            f"http://localhost:{port}{STRAY}local.json"]
    tags = [("img", f"{other}{STRAY}pixel.png"), ("script", f"{other}{STRAY}evil.js"),
            ("iframe", f"{other}{STRAY}frame.html")]
    # written backwards and turned round by the script: no URL for a reader of the HTML to find
    hidden = json.dumps([u[::-1] for u in urls]), json.dumps([[t, u[::-1]] for t, u in tags])
    return f"""<script>
(function () {{
  function un(s) {{ return s.split("").reverse().join(""); }}
  {hidden[0]}.forEach(function (u) {{ var x = new XMLHttpRequest(); x.open("GET", un(u)); x.send(); }});
  {hidden[1]}.forEach(function (t) {{
    var e = document.createElement(t[0]); e.src = un(t[1]); document.body.appendChild(e);
  }});
}})();
</script>"""


def listing_routes(site, column) -> dict | None:
    """Listing pages of a column with a pager feature (None: the family's own)."""
    if not any(has(site, k) for k in PAGER_FEATURES):
        return None
    if has(site, "js_only_list"):
        def shell():
            strays = _strays(site, column) if has(site, "stray_requests") else ""
            return render_html.listing(site, column, _js_only(site, column) + strays, "")
        return {column.path: shell}
    if has(site, "post_json_list"):
        return post_api.listing_routes(site, column, variant(site, "post_json_list"))
    n = len(paginate(column.entries, site.spec.page_size))
    folder = _folder(column)

    def render(k: int) -> str:
        return _listing_page(site, column, k)

    routes = {column.path: lambda: render(1)}
    if variant(site, "script_pager") == "goPage":
        routes.update({f"{folder}index_{k - 1}.html": (lambda k=k: render(k)) for k in range(2, n + 1)})
        routes[f"{folder}index.html"] = lambda: render(1)
    if variant(site, "script_pager") == "gotoPage":
        routes.update({f"{folder}list_{k}.htm": (lambda k=k: render(k)) for k in range(1, n + 1)})
    return routes


def _listing_page(site, column, k: int) -> str:
    """Page k (1-based) of a column listing with the site's script or form pager."""
    pages = paginate(column.entries, site.spec.page_size)
    pager = (_script_pager if has(site, "script_pager") else _post_pager)(site, column, k, len(pages))
    return render_html.listing(site, column, render_html.entry_list(pages[k - 1], lambda e: e.path), pager)


FRAME_PAGE = "frame_list.html"


def framed(site, column, routes: dict) -> dict:
    """The column's routes with its entry page moved into a frame (feature framed_list)."""
    if not has(site, "framed_list"):
        return routes
    inner = routes[column.path]
    src = _folder(column) + FRAME_PAGE
    if variant(site, "framed_list") == "frameset":
        def shell():
            return (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; '
                    f'charset={site.declared_charset}"><title>{escape(column.name)}_{escape(site.name)}</title></head>'
                    f'<frameset rows="120,*" frameborder="0"><frame src="/" name="top">'
                    f'<frame src="{src}" name="main"></frameset></html>')
    else:
        def shell():
            return render_html.listing(site, column, f'<iframe src="{src}" width="100%" height="900" '
                                       f'frameborder="0" scrolling="no"></iframe>', "")
    out = {path: (shell if render is inner else render) for path, render in routes.items()}
    out[src] = inner
    return out


def _page_number(request) -> int | None:
    """The listing page a dynamic request asks for (query or POSTed form)."""
    p = request.params
    for key, base in (("pageNo", 1), ("page", 1), ("pageIndex", 0), ("cur_page", 1)):
        if key in p:
            try:
                return int(p[key]) + (1 - base)
            except ValueError:
                return None
    return None


def api(site, request, html) -> response.Response | None:
    """Dynamic answers of the features: pager queries and POSTs, download endpoints, viewer, XHR data."""
    path = request.path
    if path.startswith("/static/pdfjs/web/viewer.html") and has(site, "pdf_viewer"):
        return response.Response(body=VIEWER_PAGE.encode(), content_type="text/html; charset=utf-8")
    if has(site, "post_json_list"):
        answer = post_api.api(site, request, variant(site, "post_json_list"))
        if answer is not None:
            return answer
    for column in site.columns:
        folder = _folder(column)
        if has(site, "stray_requests") and path == folder + GO and request.query.get("to"):
            return response.redirect(request.query["to"], 302)
        if has(site, "js_only_list") and path == folder + "data.txt":
            rows = [[e.title, e.path.lstrip("/").replace("/", "|")] for e in column.entries]
            return response.Response(body=json.dumps({"rows": rows}, ensure_ascii=False).encode(),
                                     content_type="application/json; charset=utf-8")
        dynamic = {column.path, folder + "list.jsp", folder + "list.do", folder + "search.jsp"}
        if path not in dynamic or not (has(site, "script_pager") or has(site, "post_pager")):
            continue
        if request.method != "POST" and not request.query:
            continue  # the column page itself (static route), or list.do with no page asked
        k = _page_number(request)
        if k is None or not 1 <= k <= len(paginate(column.entries, site.spec.page_size)):
            return response.not_found()
        return html(_listing_page(site, column, k))
    return None


# --- page source line -----------------------------------------------------------

def source_line(site, source: str, date: str) -> str | None:
    """The info line of an article for the page_source feature (no ContentSource meta
    then); None: the default line and meta."""
    v = variant(site, "page_source")
    if v == "glued":  # no space between the spans: the text reads 来源：某某局浏览次数：42
        return (f"<span>发布时间：{date}</span><span>来源：{escape(source)}</span>"
                f"<span>浏览次数：{len(source) * 7}</span>")
    if v == "publisher":
        return f"<span>发布机构：{escape(source)}</span><span>发布时间：{date}</span>"
    return None


EXTRA_DECOYS = (
    ("rule_of_law", "{org}{year}年法治政府建设年度报告", "{org}{year}年法治政府建设情况报告如下。"),
    ("bulletin", "{org}{year}年国民经济和社会发展统计公报", "{year}年全市经济运行稳中有进。"),
    ("work_points", "{org}{year}年政务公开工作要点", "为深入推进{year}年政务公开工作，制定本要点。"),
    ("template", "政府信息公开工作年度报告（模板）", "附件：年度报告模板。"),
)
