"""Datasette plugin for the nianbao archive site.

- report row pages: the three tables laid out as printed (archive/layout.py),
  failing checks highlighted, uncertain values marked, the citation block with a
  pinned URL, the original's download, every snapshot;
- cell row pages: the citation block (labels as printed, value, raw text, snapshot);
- body row pages: all reports of the body side by side over the years;
- /-/pinned/<report>/<snapshot>[/<table>/<row>/<column>]: a report or a cell as read
  from one snapshot, never changing (archive/versions.py), with a notice and a link
  when the current reading differs;
- /-/province/<河南|河南省|henan|41>: coverage of the governments that must publish,
  bodies found under their region, charts of applications and review/litigation;
- /-/export/wide.csv|.xlsx: one row per report, one column per cell (archive/export.py);
- /-/original/<snapshot>: the archived document under its own name and media type;
- /-/chart?province=: applications by outcome per year (inline SVG, no JS);
- /-/snapshot/<id>: a snapshot's bytes, always as text/plain (never rendered);
- every report id shown links to its report page, every key shows its Chinese label;
- provinces may be named 河南, 河南省, henan or 41 in every filter and canned query;
- the search box of reports/sections: 1-2 characters from the short-search index,
  and any search with more than search.EXACT_LIMIT matches listed from its index,
  newest first, uncounted and unfaceted (search.py), so no search reads every row.

Every value reaches the page through Jinja autoescaping; the only markup built here
(render_cell) escapes stored text first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.parse
import zlib

from datasette import Response, hookimpl
from datasette.utils import tilde_decode, urlsafe_components
from markupsafe import Markup, escape

from archive import coverage, export, layout, pages
from archive import labels as L
from archive.rows import OUTCOME_GROUPS, is_uncertain

from . import labelled, search
from .limits import read_blob

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
REVIEW_OUTCOMES = ("upheld", "corrected", "other", "pending")
REVIEW_COLOURS = ("#2e7d32", "#c62828", "#78909c", "#f9a825")
_TABLE_PATH = re.compile(r"^/(?P<db>[^/]+)/(?P<table>reports|sections)(?P<ext>\.json|\.csv)?$")
# Pages whose `province` parameter names a province (tables, views, canned queries, site pages).
_PROVINCE_PATH = re.compile(r"^/(?:-/(?:chart|export/wide\.(?:csv|xlsx))|[^/]+/[^/]+?)(?:\.json|\.csv)?$")
REPORT_ID = re.compile(r"^\d{6}-[0-9a-f]{8}-\d{4}$")
BODY_ID = re.compile(r"^\d{6}-[0-9a-f]{8}$")
VIEWS = ("failed_checks", "coverage", "latest_sightings")  # no foreign keys: ids linked here
@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Report and body ids link to their pages, a canonical_id to the bodies of its spellings;
    keys show their Chinese label; uncertain values are marked; search excerpts show the match
    highlighted."""
    if not isinstance(value, str | type(None)) or table in ("reports", "bodies") and column == "id":
        return None
    if value is None:
        if column == "value" and table == "cells" and is_uncertain(None, _get(row, "raw")):
            return Markup('<span class="uncertain" title="数字不确定：读法不唯一或未经核对">不确定 uncertain</span>')
        return None
    if (column == "report_id" or column == "id" and table in (None, *VIEWS)) and REPORT_ID.match(value):
        return Markup('<a class="report-link" href="{}">{}</a>').format(
            datasette.urls.row(database, "reports", value), value)
    if column == "body_id" and BODY_ID.match(value):
        return Markup('<a class="body-link" href="{}">{}</a>').format(
            datasette.urls.row(database, "bodies", value), value)
    if column == "canonical_id" and BODY_ID.match(value):  # the spelling may never have been printed
        return Markup('<a class="spellings-link" href="{}?canonical_id={}" title="同一机关的各种写法 every spelling'
                      ' of this body">{}</a>').format(datasette.urls.table(database, "bodies"), value, value)
    if column == "excerpt":
        return Markup(str(escape(value)).replace("【", "<mark>").replace("】", "</mark>"))
    if column == "raw" and table == "cells" and is_uncertain(_get(row, "value"), value):
        return Markup('<span class="uncertain" title="数字不确定">{} ？</span>').format(value)
    if column in labelled.LABELLED and table != "labels":
        zh = labelled.key_label(column, value, {"table_name": _get(row, "table_name")})
        return Markup('<span class="zh">{}</span> <span class="key">{}</span>').format(zh, value) if zh else None
    return None


def _get(row, column):
    try:
        return row[column]
    except (IndexError, KeyError, TypeError):
        return None


async def _report_view(datasette, database: str, report_id: str) -> dict | None:
    db = datasette.get_database(database)
    report = await pages.current_report(db, report_id)
    if report is None:
        return None
    cells = await pages.rows(db, "SELECT table_name, row_key, column_key, value, raw, unit FROM cells"
                                 " WHERE report_id = ?", [report_id])
    checks = await pages.rows(
        db, "SELECT id, rule, table_name, column_key, status, left_value, right_value, detail FROM checks"
            " WHERE report_id = ? ORDER BY status = 'failed' DESC, rule, table_name, column_key", [report_id])
    snapshots = await pages.rows(
        db, "SELECT s.id, s.url, s.sha256, s.fetched_at, s.status, s.size, (SELECT max(seen_at) FROM sightings g"
            " WHERE g.snapshot_id = s.id) AS last_seen FROM snapshots s"
            " WHERE s.url = ? OR s.id = ? ORDER BY s.fetched_at DESC",
        [report["source_url"] or "", report["snapshot_id"] or ""])
    versions = {r["snapshot_id"] for r in await pages.rows(
        db, "SELECT snapshot_id FROM report_versions WHERE report_id = ?", [report_id])}
    for s in snapshots:
        s["pinned"] = s["id"] in versions or s["id"] == report["snapshot_id"]
    sections = await pages.rows(db, "SELECT id, part, label, text FROM sections WHERE report_id = ?"
                                    " ORDER BY position", [report_id])
    problems = [r["problem"] for r in await pages.rows(
        db, "SELECT problem FROM problems WHERE report_id = ? ORDER BY id", [report_id])]
    failed = [c for c in checks if c["status"] == "failed"]
    for c in failed:
        c["rule_zh"] = L.zh("rule", c["rule"])
        c["column_zh"] = (L.row_label(c["table_name"], c["column_key"]) if c["rule"] == "row_total"
                          else L.column_label(c["table_name"], c["column_key"]))
    return {
        "report": report,
        "heading": pages.report_heading(report),
        "tables": layout.report_tables(report_id, report["format"], cells, checks),
        "failed_checks": failed,
        "check_counts": {
            s: sum(1 for c in checks if c["status"] == s) for s in ("passed", "failed", "not_checkable")
        },
        "status_zh": L.zh("status", report["check_status"]),
        "level_zh": L.zh("level", report["level"]),
        "snapshots": snapshots,
        "sections": sections,
        "problems": problems,
        "source_link": pages.http_link(report["source_url"]),
    }


async def _citation(datasette, request, db, report: dict, cell: dict | None = None) -> dict:
    body = await pages.body_of(db, report["body_id"])
    snapshot = await pages.snapshot_info(db, report.get("snapshot_id"))
    key = (cell["table_name"], cell["row_key"], cell["column_key"]) if cell else None
    pinned = (datasette.absolute_url(request, pages.pinned_path(report["id"], snapshot["id"], key))
              if snapshot else None)
    return pages.citation(report, body, snapshot, pinned, cell)


FACET_KINDS = {"level": "level", "format": "format", "check_status": "status", "status": "status", "rule": "rule",
               "table_name": "table", "kind": None}


def _value_zh(column: str, value) -> str | None:
    kind = FACET_KINDS.get(column)
    return L.zh(kind, value) if kind and isinstance(value, str) else None


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name == "index":
        return {"nianbao_provinces": [(g["code"], coverage.province_short(g["code"]))
                                      for g in coverage.governments() if g["level"] == "province"]}
    if view_name == "table":
        labels = column_labels(datasette.metadata())
        return {"nianbao_value_zh": _value_zh, "nianbao_column_zh": labels.get}
    if view_name != "row" or table not in ("reports", "cells", "bodies", "snapshots") or request is None:
        return {}

    async def inner():
        pks = urlsafe_components(request.url_vars["pks"])
        db = datasette.get_database(database)
        if table == "reports":
            view = await _report_view(datasette, database, pks[0])
            cite = await _citation(datasette, request, db, view["report"]) if view else None
            return {"report_view": view, "citation": cite}
        if table == "snapshots":
            return {"snapshot_download": datasette.urls.path(f"/-/original/{pks[0]}")}
        if table == "bodies":
            body = await pages.body_of(db, pks[0])
            return {"body_view": {**await pages.body_years(db, pks[0]), "body": body,
                                  "level_zh": L.zh("level", body.get("level"))}}
        if len(pks) != 4:  # not a cell's key: Datasette answers 404
            return {}
        report_id, table_name, row_key, column_key = pks
        report = await pages.current_report(db, report_id)
        found = await pages.rows(db, "SELECT * FROM cells"  # with confidence (schema 18) where the archive has it
                                     " WHERE report_id = ? AND table_name = ? AND row_key = ? AND column_key = ?",
                                 [report_id, table_name, row_key, column_key])
        cite = await _citation(datasette, request, db, report, found[0]) if report and found else None
        return {
            "cell_view": {
                "report_path": datasette.urls.row(database, "reports", report_id),
                "anchor": layout.pl.cell_anchor(table_name, row_key, column_key),
            },
            "citation": cite,
        }

    return inner


@hookimpl
def filters_from_request(request, database, table, datasette):
    """`_like=xx`: the rows containing xx, from the table's search index, bounded at any
    size (search.py); LIKE on an archive older than the short-search index."""
    from datasette.filters import FilterArguments

    text = (request.args.get("_like") or "").strip()
    if table not in search.SEARCH_COLUMNS or not text:
        return None

    async def inner():
        index, _expr, _value = search.match(table, text)
        if await datasette.get_database(database).table_exists(index):
            size = (datasette.table_metadata(database, table) or {}).get("size")
            clause, params, description = search.filter_sql(request, datasette, table, text, size)
        else:
            clause, params, description = search.like_sql(table, text)
        return FilterArguments([clause], params=params, human_descriptions=[description])

    return inner


async def _search_query(datasette, table_page, query, scope):
    """A table page's search (`_search`, or `_like` from its own links): counted in its
    index once, then planned by search.py — the plan kept in the scope for the filter."""
    text = next((v.strip() for k, v in query if k in ("_like", "_search") and v.strip()), "")
    if not text:
        return query, scope
    table = table_page.group("table")
    if table_page.group("ext") == ".csv":  # an export streams every match: no plan, only the index
        return (search.as_like(query, text) if search.is_short(text) else query), scope
    try:
        db = datasette.get_database(route=table_page.group("db"))
    except KeyError:
        return query, scope
    from datasette.database import QueryInterrupted

    try:
        matches = await search.count_matches(db, table, text)
    except QueryInterrupted:  # too many to count within the SQL time limit: more than a page counts
        matches = search.UNCOUNTED
    planned, bounded = search.plan(query, matches)
    if search.is_short(text) or planned is not query:  # else Datasette's own _search, counted and faceted
        planned = search.as_like(planned, text)
    state = {"table": table, "text": text, "matches": matches, "bounded": bounded}
    return planned, dict(scope, **{search.SCOPE_KEY: state})


def _province_query(query: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], str | None]:
    """`province` given as 河南, henan, 41 … becomes the stored name (河南省), `province_code`
    the 2-digit code. Returns (query, the unknown value) — an unknown province is an error,
    never a silent empty page."""
    out, unknown = [], None
    for k, v in query:
        base, _, op = k.partition("__")
        if base in ("province", "province_code") and op in ("", "exact", "not") and v.strip():
            code = coverage.resolve_province(v)
            if code is None:
                unknown = v
            else:
                v = code if base == "province_code" else coverage.province_name(code)
        out.append((k, v))
    return out, unknown


DISCONNECTED = "nianbao.disconnected"  # scope key: an asyncio.Event set when the client went away
log = logging.getLogger("nianbao.site")


class ClientGone(asyncio.CancelledError):
    """Raised from `send` once the client has gone: ends the response's work (a BaseException,
    so no `except Exception` on the way logs it as an error); caught by the wrapper."""


def _quiet_disconnects(app):
    """A client that disconnects during a long download leaves one log line. Without this,
    a streamed response (a table's CSV, the wide export) keeps writing chunks without
    yielding to the event loop, so asyncio logs "socket.send() raised exception." for every
    chunk until the server notices. Here each body chunk yields once; a GET's `receive` is
    watched for http.disconnect (a GET has no body for the app to read), and once the
    client is gone the next send logs one line and ends the response (ClientGone), so
    the server stops reading rows nobody will receive and can shut down."""

    async def watched(scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        gone = asyncio.Event()
        state = {"bytes": 0, "logged": False}

        async def watch():
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        async def app_receive():  # the app never needs a GET's (empty) body
            await gone.wait()
            return {"type": "http.disconnect"}

        async def guarded_send(message):
            if gone.is_set():
                if not state["logged"]:
                    state["logged"] = True
                    log.warning("client disconnected from %s after %d bytes; response stopped",
                                scope.get("path"), state["bytes"])
                raise ClientGone()
            await send(message)
            if message.get("type") == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
                await asyncio.sleep(0)  # let the loop see a closed connection

        watcher = asyncio.ensure_future(watch())
        try:
            await app(dict(scope, **{DISCONNECTED: gone}), app_receive, guarded_send)
        except ClientGone:
            pass  # logged once above; nothing more to send to anyone
        finally:
            watcher.cancel()

    return watched


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        app = _quiet_disconnects(app)

        async def rewritten(scope, receive, send):
            path = scope.get("path", "")
            if scope.get("type") == "http" and (_TABLE_PATH.match(path) or _PROVINCE_PATH.match(path)):
                raw = scope.get("query_string", b"").decode()
                query = urllib.parse.parse_qsl(raw, keep_blank_values=True)
                table_page = _TABLE_PATH.match(path)
                if table_page:
                    query, scope = await _search_query(datasette, table_page, query, scope)
                if not path.startswith("/-/province"):
                    query, unknown = _province_query(query)
                    if unknown is not None:
                        body = (f"unknown province {unknown!r}: name it as 河南, 河南省, henan or 41"
                                f" · 未知省份，请写作 河南、河南省、henan 或 41\n").encode()
                        await send({"type": "http.response.start", "status": 400,
                                    "headers": [[b"content-type", b"text/plain; charset=utf-8"]]})
                        await send({"type": "http.response.body", "body": body})
                        return
                new = urllib.parse.urlencode(query)
                if new != raw:
                    scope = dict(scope, query_string=new.encode())
            await app(scope, receive, send)

        return rewritten

    return wrap


def _bars(rows: list[dict], groups, colours, labels: dict, height: int, bar: int = 48, gap: int = 24) -> list:
    peak = max([sum(r[g] or 0 for g in groups) for r in rows] or [0]) or 1
    bars = []
    for i, r in enumerate(rows):
        x, y = 60 + i * (bar + gap), height
        segments = []
        for g, colour in zip(groups, colours, strict=True):
            h = (r[g] or 0) / peak * (height - 40)
            y -= h
            segments.append({"group": g, "label": labels[g], "value": r[g] or 0, "x": x, "y": round(y, 1),
                             "h": round(h, 1), "colour": colour})
        bars.append({"year": r["year"], "x": x, "total": sum(s["value"] for s in segments), "segments": segments})
    return bars


async def chart(datasette, request):
    db = datasette.get_database()
    provinces = [
        r[0]
        for r in (
            await db.execute("SELECT DISTINCT province FROM province_year_outcomes ORDER BY province_code")
        ).rows
    ]
    province = request.args.get("province") or (provinces[0] if provinces else "")
    rows = await pages.rows(db, "SELECT * FROM province_year_outcomes WHERE province = ? ORDER BY year",
                            [province])
    width, bar, gap, height = 720, 48, 24, 320
    return Response.html(
        await datasette.render_template(
            "nianbao_chart.html",
            {
                "province": province,
                "provinces": provinces,
                "rows": rows,
                "bars": _bars(rows, CHART_GROUPS, CHART_COLOURS, CHART_LABELS, height),
                "groups": CHART_GROUPS,
                "all_groups": list(OUTCOME_GROUPS),
                "group_labels": {g: L.zh("row", g, "applications") or g for g in OUTCOME_GROUPS},
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
            "SELECT b.rowid, s.content_type FROM snapshots s JOIN blobs b ON b.sha256 = s.sha256"
            " WHERE s.id = ?",
            [sid],
        )
    ).rows
    if not rows:
        return Response.text("no such snapshot", status=404)
    # blob I/O: a document is larger than the length limit of SQL values (limits.py)
    body = zlib.decompress(await db.execute_fn(lambda conn: read_blob(conn, "blobs", "data", rows[0][0])))
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    try:
        return Response(body.decode("utf-8"), content_type="text/plain; charset=utf-8", headers=headers)
    except UnicodeDecodeError:
        headers["Content-Disposition"] = f'attachment; filename="{sid}"'
        return Response(body, content_type="application/octet-stream", headers=headers)


async def original(datasette, request):
    """The archived document as a download under its own name and media type. Always an
    attachment, never rendered by the site (nosniff, a CSP that allows nothing)."""
    sid = tilde_decode(request.url_vars["id"])
    db = datasette.get_database()
    rows = await pages.rows(db, "SELECT b.rowid AS blob_rowid, s.url, s.headers, s.content_type FROM snapshots s"
                                " JOIN blobs b ON b.sha256 = s.sha256 WHERE s.id = ?", [sid])
    if not rows:
        return Response.text("no such snapshot 无此快照", status=404)
    # blob I/O: a document may be larger than the length limit of SQL values (limits.py)
    body = zlib.decompress(await db.execute_fn(lambda conn: read_blob(conn, "blobs", "data", rows[0]["blob_rowid"])))
    ext = pages.sniff_extension(body, rows[0]["content_type"])
    try:
        headers = json.loads(rows[0]["headers"] or "{}")
    except ValueError:
        headers = {}
    name = pages.original_filename(rows[0]["url"], headers, ext, sid)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    media = pages.MEDIA[ext] + ("; charset=utf-8" if ext in (".html", ".txt") and _utf8(body) else "")
    return Response(body, content_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


async def pinned(datasette, request):
    """A report (or one cell) as read from one snapshot: never changes. Says so, and links
    the current page, when the current reading differs."""
    rid, sid = request.url_vars["report"], request.url_vars["snapshot"]
    db = datasette.get_database()
    read = await pages.reading(db, rid, sid)
    if read is None:
        return Response.html(await datasette.render_template("nianbao_pinned.html", {
            "missing": True, "report_id": rid, "snapshot_id": sid}, request=request), status=404)
    report = read["report"]
    current = await pages.current_report(db, rid)
    current_cells = await pages.rows(db, "SELECT table_name, row_key, column_key, value, raw, unit FROM cells"
                                         " WHERE report_id = ?", [rid]) if current else []
    key = None
    if "table" in request.url_vars:
        key = (request.url_vars["table"], request.url_vars["row"], request.url_vars["column"])
    cell = next((c for c in read["cells"] if (c["table_name"], c["row_key"], c["column_key"]) == key), None)
    if key and cell is None:
        return Response.html(await datasette.render_template("nianbao_pinned.html", {
            "missing": True, "report_id": rid, "snapshot_id": sid}, request=request), status=404)
    body = await pages.body_of(db, report["body_id"])
    snapshot = await pages.snapshot_info(db, sid)
    cite = pages.citation(report, body, snapshot, datasette.absolute_url(request, request.path), cell)
    changed = pages.changed_cells(read["cells"], current_cells) if current else []
    if key:
        changed = [c for c in changed if c["key"] == key]
    for c in changed:
        c["current_path"] = datasette.urls.table(db.name, "cells") + "/" + layout.pl.cell_path(rid, *c["key"])
    current_path = datasette.urls.row(db.name, "reports", rid)
    if key:
        current_path = datasette.urls.table(db.name, "cells") + "/" + layout.pl.cell_path(rid, *key)
    tables = [] if key else layout.report_tables(rid, report["format"], read["cells"], read["checks"])
    for slot in (s for t in tables for row in t["rows"] for s in row if s["kind"] == "value"):
        slot["path"] = slot["path"].split(",", 1)[1].replace(",", "/")  # pinned cell pages, this snapshot
    return Response.html(await datasette.render_template("nianbao_pinned.html", {
        "missing": False,
        "citation": cite,
        "report": report,
        "cell": cell,
        "tables": tables,
        "changed": changed,
        "newer_snapshot": bool(current and current["snapshot_id"] != sid),
        "current_path": current_path,
        "current_snapshot": current and current["snapshot_id"],
        "database": db.name,
        "download": datasette.urls.path(f"/-/original/{sid}"),
    }, request=request))


async def province_page(datasette, request):
    from archive import province as P

    db = datasette.get_database()
    code = coverage.resolve_province(urllib.parse.unquote(tilde_decode(request.url_vars["key"])))
    if code is None:
        return Response.text("unknown province: name it as 河南, 河南省, henan or 41"
                             " · 未知省份，请写作 河南、河南省、henan 或 41", status=404)
    view = await P.province_view(db, code)
    height = 260
    view["app_bars"] = _bars(view["outcomes"], CHART_GROUPS, CHART_COLOURS, CHART_LABELS, height)
    review_labels = {o: L.zh("column", f"review_{o}", "review_litigation").split(" · ")[-1] + " " + o
                     for o in REVIEW_OUTCOMES}
    view["review_bars"] = {
        group: _bars(rows, REVIEW_OUTCOMES, REVIEW_COLOURS, review_labels, height)
        for group, rows in view["review"].items()
    }
    return Response.html(await datasette.render_template("nianbao_province.html", {
        **view, "database": db.name, "height": height, "bar": 48,
        "chart_width": max(720, 80 + len(view["years"]) * 72),
        "app_legend": [(CHART_LABELS[g], c) for g, c in zip(CHART_GROUPS, CHART_COLOURS, strict=True)],
        "review_legend": [(review_labels[o], c) for o, c in zip(REVIEW_OUTCOMES, REVIEW_COLOURS, strict=True)],
        "review_group_labels": {g: L.column_label("review_litigation", f"{g}_total").rsplit(" · ", 1)[0]
                                for g in view["review"]},
        "coverage_labels": L.COVERAGE,
    }, request=request))


async def wide_export(datasette, request):
    return await export.respond(datasette, request, request.url_vars["ext"])


@hookimpl
def register_routes():
    ids = r"[A-Za-z0-9_-]+"
    return [
        (r"^/-/chart$", chart),
        (r"^/-/snapshot/(?P<id>[A-Za-z0-9_~-]+)$", snapshot_body),
        (r"^/-/original/(?P<id>[A-Za-z0-9_~-]+)$", original),
        (rf"^/-/pinned/(?P<report>{ids})/(?P<snapshot>{ids})$", pinned),
        (rf"^/-/pinned/(?P<report>{ids})/(?P<snapshot>{ids})/(?P<table>[a-z_]+)/(?P<row>[a-z_0-9]+)"
         r"/(?P<column>[a-z_0-9]+)$", pinned),
        (r"^/-/province/(?P<key>[^/]+)$", province_page),
        (r"^/-/export/wide\.(?P<ext>csv|xlsx)$", wide_export),
        (r"^/-/nianbao/labels\.css$", labels_css),
    ]


# Columns that only canned queries and views produce (the tables' own come from metadata.yml).
QUERY_COLUMN_LABELS = {
    "report_id": "报告", "section": "部分", "excerpt": "摘录", "matches": "匹配数", "problem": "问题",
    "failed": "未通过的检查", "reports": "报告数", "division": "人民政府", "division_code": "区划代码",
}
_CJK_LABEL = re.compile(r"^([\u3400-\u9fff][^ A-Za-z]*)\s")


def column_labels(metadata: dict) -> dict[str, str]:
    """column name -> its Chinese label: the first words of its description in metadata.yml
    ("省 Province" -> 省); the first table that describes a column names it."""
    out = dict(QUERY_COLUMN_LABELS)
    for db in (metadata.get("databases") or {}).values():
        for conf in (db.get("tables") or {}).values():
            for column, description in ((conf or {}).get("columns") or {}).items():
                m = _CJK_LABEL.match(str(description))
                if m and column not in out:
                    out[column] = m.group(1)
    return out


async def labels_css(datasette, request):
    """Every column header of every table, view and query shows its Chinese label before the key."""
    labels = column_labels(datasette.metadata())
    rules = [f'.rows-and-columns th.col-{re.sub(r"[^a-zA-Z0-9_-]", "", c)}::before '
             f'{{ content: "{zh.replace(chr(34), "")} "; font-weight: normal; }}' for c, zh in sorted(labels.items())]
    return Response("\n".join(rules) + "\n", content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/nianbao/labels.css")]


@hookimpl
def menu_links(datasette):
    return [
        {"href": datasette.urls.path("/-/chart"), "label": "Chart 图表"},
        {"href": datasette.urls.path("/-/export/wide.csv"), "label": "Wide table CSV 宽表"},
    ]
