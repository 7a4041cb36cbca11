"""Hosts a government portal links that are no government of its province.

A ministry (网站标识码 bm…), a news site and a shop: each serves a home page and a
page that looks like a report of the province (a reprint, an ad), so a crawler
that wandered past the identity probe would archive something it must not.
Tests assert that a province crawl asks them for nothing but their home page.
"""

from __future__ import annotations

from html import escape
from types import SimpleNamespace

from sandbox import response
from sandbox.response import Request, Response

TRAP_TITLE = "广东省2023年政府信息公开工作年度报告"


class OutsiderApp:
    family = SimpleNamespace(SERVER="nginx")

    def __init__(self, outsider):
        self.site = outsider

    def handle(self, request: Request) -> Response:
        o = self.site
        if request.path == "/robots.txt":
            return Response(body=b"User-agent: *\nDisallow:\n", content_type="text/plain")
        if request.path in ("/", "/index.html"):
            meta = f'<meta name="SiteIDCode" content="{o.spec.site_id}">' if o.spec.site_id else ""
            footer = f"<p>网站标识码：{o.spec.site_id}</p>" if o.spec.site_id else "<p>版权所有</p>"
            body = (f'<ul><li><a href="{o.trap_path}">{TRAP_TITLE}</a></li>'
                    '<li><a href="/zwgk/">政府信息公开</a></li></ul>')
            return _page(o.name, meta, body + footer)
        if request.path == o.trap_path:
            text = ("<h1>" + TRAP_TITLE + "</h1><p>一、总体情况</p><p>二、主动公开政府信息情况</p>"
                    "<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p>"
                    "<p>五、存在的主要问题及改进情况</p>")
            return _page(TRAP_TITLE, '<meta name="ArticleTitle" content="' + TRAP_TITLE + '">', text)
        return response.not_found()


def _page(title: str, head: str, body: str) -> Response:
    text = (f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}<title>{escape(title)}</title></head>'
            f"<body>{body}</body></html>")
    return response.html(text, charset="utf-8", declared="utf-8")
