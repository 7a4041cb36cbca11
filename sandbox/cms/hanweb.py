"""Hanweb (大汉) JCMS-style sites: /col/col1101/index.html embeds the first group of
records in a `<script type="text/xml"><datastore>` and a jpage call; further pages
come from /module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15
(GET or POST, columnid=…) answering

    <datastore><totalrecord>73</totalrecord><totalpage>5</totalpage>
      <recordset><record><![CDATA[<li><a href="/art/…">…</a></li>]]></record>…</recordset>
    </datastore>

Articles at /art/2021/1/22/art_1101_1234.html, attachments at /attach/0/….pdf.
"""

from __future__ import annotations

from html import escape

from sandbox import render_html, response
from sandbox.cms import paginate

CONTAINER = ('<div id="zoom">', "</div>")
SERVER = "nginx"
PROXY = "/module/web/jpage/dataproxy.jsp"
GROUP_PAGES = 3  # jpage embeds three pages' worth of records in the column page


def column_path(key: str, n: int) -> str:
    return f"/col/col{1101 + n}/index.html"


def article_path(column, item_id: int, date: str) -> str:
    y, m, d = (int(x) for x in date.split("-"))
    return f"/art/{y}/{m}/{d}/art_{column.number}_{item_id}.html"


def attachment_path(column, item_id: int, date: str, ext: str) -> str:
    return f"/attach/0/{date.replace('-', '')}{item_id:06d}.{ext}"


def _record(entry) -> str:
    return (f'<record><![CDATA[<li><a href="{entry.path}" target="_blank" title="{escape(entry.title)}">'
            f'{escape(entry.title)}</a><span class="bt-data-time">{entry.date}</span></li>]]></record>')


def listing_routes(site, column) -> dict:
    per = site.spec.page_size
    total = len(column.entries)
    group = column.entries[: per * GROUP_PAGES]
    unit = 5000 + column.number
    datastore = (
        '<script type="text/xml"><datastore>'
        f'<nextgroup><![CDATA[<a href="{PROXY}?page=1&appid=1&webid=1&path=/&columnid={column.number}'
        f'&unitid={unit}&webname=&permissiontype=0"></a>]]></nextgroup>'
        f'<recordset>{"".join(_record(e) for e in group)}</recordset></datastore></script>')
    script = (f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
              f'<script>$(function(){{$("#{unit}").jpage({{dataStore: dataStore, perPage: {per}, '
              f'totalRecord: {total}, groupSize: {GROUP_PAGES}, proxyUrl: "{PROXY}", '
              f'ajaxParam: {{col: 1, appid: 1, webid: 1, path: "/", columnid: {column.number}, '
              f'sourceContentType: 1, unitid: {unit}, webname: "", permissiontype: 0}}}});}});</script>')
    body = f'<div id="{unit}">{datastore}</div>\n{script}'
    subcolumns = [c for c in site.columns if c.parent == column.key]

    def render():
        return render_html.listing(site, column, body, "", subcolumns)

    return {column.path: render, column.path.removesuffix("index.html"): render}


def api(site, request):
    if request.path != PROXY:
        return None
    p = request.params
    try:
        col = int(p.get("columnid", "0"))
        start = max(1, int(p.get("startrecord", "1")))
        per = max(1, int(p.get("perpage", str(site.spec.page_size))))
        end = int(p.get("endrecord", str(start + per * GROUP_PAGES - 1)))
    except ValueError:
        return response.Response(status=400, body=b"bad parameters", content_type="text/plain")
    column = next((c for c in site.columns if c.number == col), None)
    if column is None or (site.status == "not_found"):
        return response.not_found()
    entries = column.entries[start - 1:end]
    total = len(column.entries)
    pages = len(paginate(column.entries, per))
    xml = (f'<?xml version="1.0" encoding="{site.declared_charset}"?>\n<datastore>'
           f'<totalrecord>{total}</totalrecord><totalpage>{pages}</totalpage>'
           f'<recordset>{"".join(_record(e) for e in entries)}</recordset></datastore>')
    return response.Response(body=xml.encode(site.charset, "xmlcharrefreplace"),
                             content_type=f"text/xml; charset={site.declared_charset}")
