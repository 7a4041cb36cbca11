"""Datasette plugin for the nianbao archive site.

- report row pages: the three tables laid out as printed (archive/layout.py),
  failing checks highlighted, links to the original URL and every snapshot;
- cell row pages: a link to the cell on its report page;
- /-/chart?province=: applications by outcome per year (inline SVG, no JS);
- /-/snapshot/<id>: a snapshot's bytes, always as text/plain (never rendered);
- Chinese search: FTS5 trigram needs 3+ characters, so a 1-2 character
  `_search` on reports/sections is rewritten to `_like` and answered with LIKE.

Every value reaches the page through Jinja autoescaping; nothing here marks
stored text as safe.
"""

from __future__ import annotations

import re
import urllib.parse
import zlib

from datasette import Response, hookimpl
from datasette.utils import tilde_decode, urlsafe_components

from archive import layout
from archive.rows import OUTCOME_GROUPS

SEARCH_COLUMNS = {"reports": ("title", "organization"), "sections": ("text",)}
CHART_GROUPS = ("granted", "partially_granted", "denied", "unable", "rejected", "other")
CHART_LABELS = {
    "granted": "予以公开 granted",
    "partially_granted": "部分公开 partly",
    "denied": "不予公开 denied",
    "unable": "无法提供 unable",
    "rejected": "不予处理 rejected",
    "other": "其他处理 other",
}
CHART_COLOURS = ("#2e7d32", "#9ccc65", "#c62828", "#ef6c00", "#6a1b9a", "#78909c")
_TABLE_PATH = re.compile(r"^/(?P<db>[^/]+)/(?P<table>reports|sections)(?:\.json)?$")


def _http_link(url: str | None) -> str | None:
    """Only http(s) URLs become links: a javascript: URL must never be clickable."""
    return url if url and re.match(r"^https?://", url) else None


async def _report_view(datasette, database: str, report_id: str) -> dict | None:
    db = datasette.get_database(database)
    rows = (await db.execute("SELECT * FROM reports WHERE id = ?", [report_id])).rows
    if not rows:
        return None
    report = dict(rows[0])
    cells = [
        dict(r)
        for r in (
            await db.execute(
                "SELECT table_name, row_key, column_key, value, raw, unit FROM cells WHERE report_id = ?",
                [report_id],
            )
        ).rows
    ]
    checks = [
        dict(r)
        for r in (
            await db.execute(
                "SELECT id, rule, table_name, column_key, status, left_value, right_value, detail FROM checks"
                " WHERE report_id = ? ORDER BY status = 'failed' DESC, rule, table_name, column_key",
                [report_id],
            )
        ).rows
    ]
    snapshots = [
        dict(r)
        for r in (
            await db.execute(
                "SELECT s.id, s.url, s.fetched_at, s.status, s.size, (SELECT max(seen_at) FROM sightings g"
                " WHERE g.snapshot_id = s.id) AS last_seen FROM snapshots s"
                " WHERE s.url = ? OR s.id = ? ORDER BY s.fetched_at DESC",
                [report["source_url"] or "", report["snapshot_id"] or ""],
            )
        ).rows
    ]
    sections = [
        dict(r)
        for r in (
            await db.execute(
                "SELECT id, part, label, text FROM sections WHERE report_id = ? ORDER BY position",
                [report_id],
            )
        ).rows
    ]
    problems = [
        r[0]
        for r in (
            await db.execute("SELECT problem FROM problems WHERE report_id = ? ORDER BY id", [report_id])
        ).rows
    ]
    return {
        "report": report,
        "tables": layout.report_tables(report_id, report["format"], cells, checks),
        "failed_checks": [c for c in checks if c["status"] == "failed"],
        "check_counts": {
            s: sum(1 for c in checks if c["status"] == s) for s in ("passed", "failed", "not_checkable")
        },
        "snapshots": snapshots,
        "sections": sections,
        "problems": problems,
        "source_link": _http_link(report["source_url"]),
    }


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table not in ("reports", "cells") or request is None:
        return {}

    async def inner():
        pks = urlsafe_components(request.url_vars["pks"])
        if table == "reports":
            return {"report_view": await _report_view(datasette, database, pks[0])}
        report_id, table_name, row_key, column_key = pks
        return {
            "cell_view": {
                "report_path": datasette.urls.row(database, "reports", report_id),
                "anchor": layout.pl.cell_anchor(table_name, row_key, column_key),
            }
        }

    return inner


@hookimpl
def filters_from_request(request, database, table, datasette):
    """`_like=xx`: substring search for queries too short for the trigram index."""
    from datasette.filters import FilterArguments

    text = request.args.get("_like")
    if table not in SEARCH_COLUMNS or not text:
        return None
    clause = " or ".join(f"[{c}] like :nianbao_like escape '\\'" for c in SEARCH_COLUMNS[table])
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return FilterArguments(
        [f"({clause})"],
        params={"nianbao_like": f"%{escaped}%"},
        human_descriptions=[f'contain "{text}"'],
    )


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def rewritten(scope, receive, send):
            if scope.get("type") == "http" and _TABLE_PATH.match(scope.get("path", "")):
                query = urllib.parse.parse_qsl(
                    scope.get("query_string", b"").decode(), keep_blank_values=True
                )
                short = [v for k, v in query if k == "_search" and 0 < len(v.strip()) < 3]
                if short:
                    query = [(k, v) for k, v in query if k != "_search"] + [("_like", short[0].strip())]
                    scope = dict(scope, query_string=urllib.parse.urlencode(query).encode())
            await app(scope, receive, send)

        return rewritten

    return wrap


async def chart(datasette, request):
    db = datasette.get_database()
    provinces = [
        r[0]
        for r in (
            await db.execute("SELECT DISTINCT province FROM province_year_outcomes ORDER BY province_code")
        ).rows
    ]
    province = request.args.get("province") or (provinces[0] if provinces else "")
    rows = [
        dict(r)
        for r in (
            await db.execute(
                "SELECT * FROM province_year_outcomes WHERE province = ? ORDER BY year", [province]
            )
        ).rows
    ]
    width, bar, gap, height = 720, 48, 24, 320
    peak = max([sum(r[g] or 0 for g in CHART_GROUPS) for r in rows] or [0]) or 1
    bars = []
    for i, r in enumerate(rows):
        x, y = 60 + i * (bar + gap), height
        segments = []
        for g, colour in zip(CHART_GROUPS, CHART_COLOURS, strict=True):
            h = (r[g] or 0) / peak * (height - 40)
            y -= h
            segments.append(
                {
                    "group": g,
                    "label": CHART_LABELS[g],
                    "value": r[g] or 0,
                    "x": x,
                    "y": round(y, 1),
                    "h": round(h, 1),
                    "colour": colour,
                }
            )
        bars.append(
            {"year": r["year"], "x": x, "total": sum(s["value"] for s in segments), "segments": segments}
        )
    return Response.html(
        await datasette.render_template(
            "nianbao_chart.html",
            {
                "province": province,
                "provinces": provinces,
                "rows": rows,
                "bars": bars,
                "groups": CHART_GROUPS,
                "all_groups": list(OUTCOME_GROUPS),
                "legend": list(zip(CHART_GROUPS, CHART_COLOURS, strict=True)),
                "labels": CHART_LABELS,
                "width": max(width, 80 + len(rows) * (bar + gap)),
                "height": height,
                "bar": bar,
                "database": db.name,
            },
            request=request,
        )
    )


async def snapshot_body(datasette, request):
    sid = tilde_decode(request.url_vars["id"])
    db = datasette.get_database()
    rows = (
        await db.execute(
            "SELECT b.data, s.content_type FROM snapshots s JOIN blobs b ON b.sha256 = s.sha256"
            " WHERE s.id = ?",
            [sid],
        )
    ).rows
    if not rows:
        return Response.text("no such snapshot", status=404)
    body = zlib.decompress(rows[0][0])
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    try:
        return Response(body.decode("utf-8"), content_type="text/plain; charset=utf-8", headers=headers)
    except UnicodeDecodeError:
        headers["Content-Disposition"] = f'attachment; filename="{sid}"'
        return Response(body, content_type="application/octet-stream", headers=headers)


@hookimpl
def register_routes():
    return [
        (r"^/-/chart$", chart),
        (r"^/-/snapshot/(?P<id>[A-Za-z0-9_~-]+)$", snapshot_body),
    ]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/chart"), "label": "Chart 图表"}]
