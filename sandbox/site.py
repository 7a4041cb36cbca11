"""One sandbox site as a web application: request → Response.

Routes come from the world (columns, reports, decoys, moved pages) and the site's
CMS family (listing pages, APIs). Status-level behaviour (412 challenge, 503,
robots) is decided here; transport faults (resets, drips, bursts) are the
server's, from sandbox.faults.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import format_datetime
from html import escape

from sandbox import cms, features, render_html, response
from sandbox.response import Request, Response

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_TYPES = {"pdf": "application/pdf", "scan": "application/pdf", "doc": "application/msword",
              "wps": "application/vnd.ms-works"}


class SiteApp:
    def __init__(self, site, *, calendar_trap: bool = False):
        self.site = site
        self.calendar_trap = calendar_trap
        self.family = cms.family(site.cms)
        self._routes = self._build_routes()

    # --- dispatch -------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        site = self.site
        if site.status == "error":
            return Response(status=503, body=_ERROR_PAGE, content_type="text/html; charset=utf-8")
        if site.status == "blocked":
            return self._challenge()
        if request.path == "/robots.txt":
            return Response(body=self.robots_txt().encode(), content_type="text/plain")
        answer = features.api(site, request, self._html) or self.family.api(site, request)
        if answer is None and request.query:  # download endpoints: /download?fileid=12
            route = self._routes.get(_query_key(request.path, request.query))
            answer = route() if route else None
        if answer is None and self.calendar_trap and request.path == "/calendar/":
            answer = self._calendar(request.query.get("date", "2024-01-01"))
        if answer is None:
            route = self._routes.get(request.path)
            answer = route() if route else response.not_found()
        if request.path in site.slow_paths:
            answer.delay = site.world.slow_seconds
        return answer

    def robots_txt(self) -> str:
        site = self.site
        if site.status == "robots_disallowed":
            return "User-agent: Baiduspider\nAllow: /\n\nUser-agent: *\nDisallow: /\n"
        lines = ["User-agent: *", "Disallow: /search/", "Disallow: /module/search/"]
        lines += [f"Disallow: {c.path.rsplit('/', 1)[0]}/" for c in site.columns if c.disallowed]
        return "\n".join(lines) + "\n"

    # --- routes ----------------------------------------------------------------------

    def _build_routes(self) -> dict:
        site = self.site
        routes = {"/": self._home, "/index.html": self._home, "/index.htm": self._home, "/sitemap/": self._sitemap}
        if site.status != "not_found":
            for column in site.columns:
                listing = features.listing_routes(site, column) or self.family.listing_routes(site, column)
                listing = features.framed(site, column, listing)
                for path, render in listing.items():
                    routes[path] = (lambda render=render: self._html(render()))
        for report in site.reports:
            routes[_route_key(report.path)] = (lambda r=report: self._report(r))
            if report.page_path:
                routes[report.page_path] = (lambda r=report: self._wrapper(r))
            if report.moved_from:
                target = report.page_path or report.path
                routes[report.moved_from] = (lambda t=target, s=report.redirect_status: response.redirect(t, s))
        for decoy in site.decoys:
            routes[decoy.path] = (lambda d=decoy: self._decoy(d))
        return routes

    def _html(self, text: str, status: int = 200) -> Response:
        return response.html(text, charset=self.site.charset, declared=self.site.declared_charset, status=status)

    def _home(self) -> Response:
        site = self.site
        cols = [] if site.status == "not_found" else site.registered_columns
        col_links = "".join(f'<li><a href="{c.path}">{escape(c.name)}</a></li>' for c in cols)
        news = "".join(f'<li><a href="{d.path}">{escape(d.title)}</a><span>{d.published}</span></li>'
                       for d in site.decoys if d.kind == "news")
        friends = ""
        if site.spec.owner.level == "province" and not site.spec.host:  # the portal links its cities' sites
            others = [s for s in site.world.sites if s.province is site.province and s is not site]
            friends = "".join(f'<li><a href="{s.base_url}/" target="_blank">{escape(s.name)}</a></li>'
                              for s in others)
        main = (f'<div class="news"><h2>要闻动态</h2><ul>{news}</ul></div>\n'
                f'<div class="zwgk"><h2>政务公开</h2><ul>{col_links}'
                f'<li><a href="/col1/">政策文件</a></li></ul></div>\n'
                f'<div class="links"><h2>友情链接</h2><ul>{friends}</ul></div>')
        main += "".join(self._link_block(kind, heading, slugs) for kind, heading, slugs in site.spec.links
                        if kind != "sitemap")
        if self.calendar_trap:
            main += '\n<div class="calendar"><a href="/calendar/?date=2024-01-01">活动日历</a></div>'
        return self._html(render_html.page(site, site.name, main))

    def _link_block(self, kind: str, heading: str, slugs: tuple[str, ...]) -> str:
        """A block of links to other sites, the way portals print them: a list under a
        heading (市县政府, short names), or a <select> menu whose options hold the URLs."""
        from sandbox.catalog import SHORT_NAMES

        targets = [self.site.world.linked(slug) for slug in slugs]
        if kind == "select":
            options = "".join(f'<option value="{t.base_url}/">{escape(t.name)}</option>' for t in targets)
            return (f'\n<div class="select-links"><select onchange="if(this.value)window.open(this.value)">'
                    f'<option value="">{escape(heading)}</option>{options}</select></div>')
        items = "".join(f'<li><a href="{t.base_url}/" target="_blank">{escape(SHORT_NAMES.get(t.slug, t.name))}</a></li>'
                        for t in targets)
        return f'\n<div class="site-links"><h2>{escape(heading)}</h2><ul>{items}</ul></div>'

    def _sitemap(self) -> Response:
        """网站地图: the site's own sections, and the sites its `sitemap` blocks name."""
        site = self.site
        cols = [] if site.status == "not_found" else site.registered_columns
        own = "".join(f'<li><a href="{c.path}">{escape(c.name)}</a></li>' for c in cols)
        main = f'<div class="sitemap"><h2>网站地图</h2><ul><li><a href="/">首页</a></li>{own}</ul>'
        for kind, heading, slugs in site.spec.links:
            if kind == "sitemap":
                links = "".join(f'<li><a href="{t.base_url}/">{escape(t.name)}</a></li>'
                                for t in map(site.world.linked, slugs))
                main += f'<h3>{escape(heading)}</h3><ul>{links}</ul>'
        return self._html(render_html.page(site, "网站地图", main + "</div>"))

    def _crumbs(self, column_key: str) -> list[tuple[str, str]]:
        column = self.site.column(column_key)
        return [("政务公开", "/col1/"), (column.name, column.path)]

    def _report(self, report) -> Response:
        if report.kind == "html":
            text = render_html.article(self.site, report.title, report.published, report.body.name,
                                       render_html.report_inner(report), self.family.CONTAINER,
                                       self._crumbs(report.column),
                                       info=features.source_line(self.site, report.body.name, report.published))
            answer = self._html(text)
        else:
            answer = self._file(report)
        answer.headers.append(("Last-Modified", _http_date(report.published)))
        return answer

    def _wrapper(self, report) -> Response:
        inner = features.wrapper_inner(self.site, report) or render_html.attachment_inner(report, report.path)
        text = render_html.article(self.site, report.title, report.published, report.body.name, inner,
                                   self.family.CONTAINER, self._crumbs(report.column),
                                   info=features.source_line(self.site, report.body.name, report.published))
        return self._html(text)

    def _decoy(self, decoy) -> Response:
        text = render_html.article(self.site, decoy.title, decoy.published, self.site.name,
                                   render_html.decoy_inner(decoy), self.family.CONTAINER,
                                   [("政务公开", "/col1/"), (self.site.columns[0].name, self.site.columns[0].path)])
        return self._html(text)

    def _file(self, report) -> Response:
        from sandbox.render_formats import ToolMissing
        from sandbox.render_pdf import FontMissing

        try:
            data = rendered_file(report)
        except (FontMissing, ToolMissing) as exc:  # say why instead of dropping the connection
            return Response(status=500, body=str(exc).encode(), content_type="text/plain; charset=utf-8")
        ctype = FILE_TYPES.get(report.kind, DOCX_TYPE)
        headers = []
        if features.has(self.site, "extless_download"):
            ctype, headers = features.file_headers(self.site, report, ctype)
        elif "octet_stream" in self.site.features:  # some CMSs send every download as octet-stream
            ctype = "application/octet-stream"
            from urllib.parse import quote
            headers.append(("Content-Disposition",
                            f"attachment; filename*=UTF-8''{quote(report.title)}.{report.ext}"))
        return Response(body=data, content_type=ctype, headers=headers)

    def _calendar(self, date: str) -> Response:
        """An endless calendar: every day links the day before and after, for ever."""
        import datetime as dt

        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            return response.not_found()
        prev, nxt = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
        main = (f'<div class="calendar"><h2>活动日历 {day.isoformat()}</h2><p>本日无活动安排。</p>'
                f'<a href="/calendar/?date={prev.isoformat()}">上一天</a> '
                f'<a href="/calendar/?date={nxt.isoformat()}">下一天</a></div>')
        return self._html(render_html.page(self.site, "活动日历", main))

    def _challenge(self) -> Response:
        """A 瑞数-style anti-bot page: 412, a cookie and obfuscated JavaScript."""
        token = hashlib.sha256(f"{self.site.world.seed}:{self.site.slug}".encode()).hexdigest()
        body = ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{token * 4}">'
                '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js">'
                '</script></head><body>'
                f'<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={{}};$_ts.nsd=84219;'
                f'$_ts.cd="{token}";</script>'
                '<script type="text/javascript" r="m">eval(function(p,a,c,k,e,d){return p}("..."))</script>'
                '</body></html>')
        return Response(status=412, body=body.encode(), content_type="text/html; charset=utf-8",
                        headers=[("Set-Cookie", f"FSSBBIl1UgzbN7N80S={token[:32]}; Path=/; HttpOnly")])


# PDF/DOCX bytes by (seed, report id, revision): rendering takes ~0.5 s and the same
# seed always gives the same bytes, so every server in the process shares them.
_FILES: dict[tuple, bytes] = {}
_FILES_LOCK = threading.Lock()


def rendered_file(report) -> bytes:
    # (the site too: two worlds of one seed in one process number their reports alike)
    key = (report.site.world.seed, report.site.slug, report.body.name, report.id, report.revision, report.kind)
    with _FILES_LOCK:
        data = _FILES.get(key)
    if data is None:
        if report.kind == "pdf":
            from sandbox import render_pdf
            data = render_pdf.render(report)
        elif report.kind in ("doc", "wps", "scan"):
            from sandbox import render_formats
            data = render_formats.legacy(report)
        else:
            from sandbox import render_docx
            data = render_docx.render(report)
        with _FILES_LOCK:
            _FILES[key] = data
    return data


_ERROR_PAGE = (b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
               b"<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
               b"</body></html>")


def _query_key(path: str, query: dict) -> str:
    from urllib.parse import urlencode

    return path + "?" + urlencode(sorted(query.items()))


def _route_key(path: str) -> str:
    """A route's key: the path, plus the sorted query for download endpoints (/download?fileid=12)."""
    if "?" not in path:
        return path
    from urllib.parse import parse_qsl, unquote

    base, query = path.split("?", 1)
    return _query_key(unquote(base), dict(parse_qsl(query, keep_blank_values=True)))


def _http_date(date: str) -> str:
    import datetime as dt

    d = dt.datetime.fromisoformat(date + "T09:30:00+08:00")
    return format_datetime(d.astimezone(dt.UTC), usegmt=True)
