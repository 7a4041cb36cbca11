"""What the site's own pages show, read from the served archive (async, Datasette's
`db.execute`): the citation block of a report or a cell, pinned readings, a body over
the years. Pure layout lives in archive/layout.py, labels in archive/labels.py; the
plugin (nianbao/site/plugin.py) only routes and renders.
"""

from __future__ import annotations

import re
from datetime import date

from parsers.sniff import OLE_MAGIC, PDF_MAGIC, ZIP_MAGIC

from . import labels as L
from . import permalinks as pl
from .coverage import latest_complete_year
from .rows import is_uncertain
from .versions import decode

PINNED_PREFIX = "/-/pinned"


def http_link(url: str | None) -> str | None:
    """Only http(s) URLs become links: a javascript: URL must never be clickable."""
    return url if url and re.match(r"^https?://", url) else None


def pinned_path(report_id: str, snapshot_id: str, cell: tuple[str, str, str] | None = None) -> str:
    path = f"{PINNED_PREFIX}/{report_id}/{snapshot_id}"
    return path + ("/" + "/".join(cell) if cell else "")


def report_heading(report: dict) -> str:
    """Title, else organization, else what is known: never "None"."""
    return (report.get("title") or report.get("organization")
            or f"{report.get('body_name') or '未识别机关 unidentified body'} {report.get('year') or ''}年度报告".strip())


def region_text(r: dict) -> str:
    parts = [r.get("province")]
    if r.get("city") and r.get("city") != r.get("province"):
        parts.append(r["city"])
    parts.append(r.get("county"))
    return " ".join(p for p in parts if p) or "未定位 unplaced"


async def rows(db, sql: str, params=()) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, list(params))).rows]


async def snapshot_info(db, snapshot_id: str | None) -> dict | None:
    if not snapshot_id:
        return None
    found = await rows(db, "SELECT id, url, sha256, size, fetched_at, status, content_type FROM snapshots"
                           " WHERE id = ?", [snapshot_id])
    return found[0] if found else None


async def body_of(db, body_id: str) -> dict:
    found = await rows(db, "SELECT * FROM bodies WHERE id = ?", [body_id])
    return found[0] if found else {"id": body_id, "name": None, "level": None}


def cell_value_text(value, raw: str | None, unit: str | None = None) -> str:
    if is_uncertain(value, raw):
        return f"不确定 uncertain（印为 printed “{raw}”）"
    if value is None:
        return "空白 blank" if not raw else f"非数字 not a number（“{raw}”）"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit else text


def citation(report: dict, body: dict, snapshot: dict | None, pinned_url: str | None,
             cell: dict | None = None) -> dict:
    """The block a citation needs, and the citation line in Chinese and in English."""
    heading = report_heading({**report, "body_name": body.get("name")})
    body_name = report.get("organization") or body.get("name") or "未识别机关"
    level = body.get("level") or report.get("level")
    block = {
        "body": body_name,
        "body_id": body.get("id"),
        "level": level,
        "level_zh": L.zh("level", level) or "未知 unknown",
        "region": region_text(report),
        "year": report.get("year"),
        "title": report.get("title"),
        "heading": heading,
        "published": report.get("published"),
        "deadline": report.get("deadline"),
        "days_late": report.get("days_late"),
        "source_url": report.get("source_url"),
        "source_link": http_link(report.get("source_url")),
        "snapshot": snapshot,
        "pinned_url": pinned_url,
        "cell": None,
    }
    where_zh = where_en = ""
    if cell is not None:
        t, r, c = cell["table_name"], cell["row_key"], cell["column_key"]
        fmt = report.get("format")
        shown = cell_value_text(cell.get("value"), cell.get("raw"), cell.get("unit"))
        block["cell"] = {
            **cell,
            "table_label": L.table_label(t),
            "row_label": L.row_label(t, r) if t != "review_litigation" else "",
            "column_label": L.column_label(t, c, fmt),
            "uncertain": is_uncertain(cell.get("value"), cell.get("raw")),
            "shown": shown,
        }
        where_zh = f"，{L.cell_label(t, r, c, fmt)}：{shown}（原文“{cell.get('raw') or ''}”）"
        where_en = f", {t} / {r} / {c} = {shown} (printed \"{cell.get('raw') or ''}\")"
    snap_zh = snap_en = ""
    if snapshot:
        snap_zh = f"；快照 SHA-256 {snapshot['sha256']}，抓取于 {snapshot['fetched_at']}"
        snap_en = f"; snapshot SHA-256 {snapshot['sha256']}, fetched {snapshot['fetched_at']}"
    title = report.get("title") or heading
    source = report.get("source_url") or "—"
    today = date.today().isoformat()
    block["zh"] = (f"{body_name}：《{title}》（{report.get('year')}年度）{where_zh}。原文：{source}{snap_zh}。"
                   f"年报存档 nianbao：{pinned_url or '—'}（{today}访问）")
    block["en"] = (f"{body_name}, \"{title}\" (report year {report.get('year')}){where_en}. Source: {source}"
                   f"{snap_en}. nianbao archive: {pinned_url or '—'} (accessed {today}).")
    return block


async def reading(db, report_id: str, snapshot_id: str) -> dict | None:
    """The report as read from one snapshot: frozen in report_versions, or still the current
    rows (archive/versions.py). {"report", "cells", "checks", "frozen"} or None."""
    frozen = await rows(db, "SELECT data FROM report_versions WHERE report_id = ? AND snapshot_id = ?",
                        [report_id, snapshot_id])
    if frozen:
        return {**decode(frozen[0]["data"]), "frozen": True}
    current = await rows(db, "SELECT * FROM reports WHERE id = ? AND snapshot_id = ?", [report_id, snapshot_id])
    if not current:
        return None
    cells = await rows(db, "SELECT table_name, row_key, column_key, value, raw, unit FROM cells"
                           " WHERE report_id = ?", [report_id])
    checks = await rows(db, "SELECT id, rule, table_name, column_key, status, left_value, right_value, detail"
                            " FROM checks WHERE report_id = ?", [report_id])
    return {"report": current[0], "cells": cells, "checks": checks, "frozen": False}


async def current_report(db, report_id: str) -> dict | None:
    found = await rows(db, "SELECT * FROM reports WHERE id = ?", [report_id])
    return found[0] if found else None


def changed_cells(pinned: list[dict], current: list[dict]) -> list[dict]:
    """Cells whose value or printed text differ between a pinned reading and the current one."""
    now = {(c["table_name"], c["row_key"], c["column_key"]): c for c in current}
    was = {(c["table_name"], c["row_key"], c["column_key"]): c for c in pinned}
    out = []
    for key in sorted(set(now) | set(was)):
        a, b = was.get(key), now.get(key)
        if a is None or b is None or (a["value"], a["raw"]) != (b["value"], b["raw"]):
            out.append({"key": key, "label": L.cell_label(*key), "path": pl.cell_path("", *key)[1:],
                        "pinned": a and cell_value_text(a["value"], a["raw"], a.get("unit")),
                        "current": b and cell_value_text(b["value"], b["raw"], b.get("unit"))})
    return out


# --- a body over the years ------------------------------------------------------------

def _number(v):
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def year_on_year(prev, now) -> str:
    a, b = _number(prev), _number(now)
    if a is None or b is None:
        return ""
    d = b - a
    if d == 0:
        return "±0"
    text = f"{d:+g}" if isinstance(d, float) else f"{d:+d}"
    return text + (f" ({d / a:+.0%})" if a else "")


async def spellings(db, body_id: str) -> list[dict]:
    """The bodies that are spellings of this one (same bodies.canonical_id, archive/rows.py
    `canonical_body_name`): this one first, then by id; [] for an unknown body."""
    found = []
    if "canonical_id" in await db.table_columns("bodies"):  # schema 17; an older copy: the body alone
        found = await rows(db, "SELECT s.id, s.name FROM bodies b JOIN bodies s ON s.canonical_id = b.canonical_id"
                               " WHERE b.id = ? ORDER BY s.id != ?, s.id", [body_id, body_id])
    return found or await rows(db, "SELECT id, name FROM bodies WHERE id = ?", [body_id])  # canonical_id unset


def _columns(reports: list[dict], years: list[int], order: dict[str, int]) -> list[tuple[int, dict | None, bool]]:
    """(year, report, another_copy) per column: one column a year, one per report when
    several spellings have a report for the same year (the viewed spelling's first; the
    others are marked as another copy, never merged into one column)."""
    of_year: dict[int, list[dict]] = {}
    for r in sorted(reports, key=lambda r: (order.get(r["body_id"], len(order)), r["id"])):
        of_year.setdefault(r["year"], []).append(r)
    return [(y, r, n > 0) for y in years for n, r in enumerate(of_year.get(y) or [None])]


async def body_years(db, body_id: str, today: date | None = None) -> dict:
    """All reports of a body and of its other spellings by year, side by side: the
    template's rows against the columns (a year, or a report when a year has several)."""
    spelled = await spellings(db, body_id)
    order = {b["id"]: n for n, b in enumerate(spelled)} or {body_id: 0}
    ids = list(order)
    reports = await rows(db, f"SELECT * FROM reports WHERE body_id IN ({','.join('?' * len(ids))}) ORDER BY year",
                         ids)
    if not reports:
        return {"years": [], "columns": [], "rows": [], "reports": [], "spellings": spelled}
    ids = [r["id"] for r in reports]
    marks = ",".join("?" * len(ids))
    cells = await rows(db, f"SELECT report_id, table_name, row_key, column_key, value, raw, unit FROM cells"
                           f" WHERE report_id IN ({marks})", ids)
    failed = await rows(db, f"SELECT report_id, rule, table_name, column_key, left_value, right_value FROM checks"
                            f" WHERE report_id IN ({marks}) AND status = 'failed' ORDER BY report_id, rule", ids)
    found_years = [r["year"] for r in reports]
    last = max(max(found_years), latest_complete_year(today))
    years = list(range(min(found_years), last + 1))
    columns = _columns(reports, years, order)
    names = {b["id"]: b["name"] for b in spelled}
    grid: dict[tuple, dict[str, dict]] = {}
    for c in cells:
        grid.setdefault((c["table_name"], c["row_key"], c["column_key"]), {})[c["report_id"]] = c
    out_rows = []
    for key in [k for k in L.cell_columns() if k in grid] + sorted(k for k in grid if k not in L.cell_columns()):
        first_of_year = {y: grid[key].get(r["id"]) for y, r, copy in columns if r is not None and not copy}
        per_column = []
        for y, r, _copy in columns:
            c = grid[key].get(r["id"]) if r is not None else None
            slot = None
            if c is not None:
                prev = first_of_year.get(y - 1)  # a copy too is compared with last year's first column
                slot = {
                    "value": c["value"], "raw": c["raw"], "unit": c["unit"],
                    "uncertain": is_uncertain(c["value"], c["raw"]),
                    "change": year_on_year(prev["value"] if prev else None, c["value"]),
                    "path": pl.cell_path(r["id"], *key),
                }
            per_column.append(slot)
        out_rows.append({"key": ".".join(key), "table": key[0], "table_label": L.table_label(key[0]),
                         "label": L.row_column_label(*key), "years": per_column})
    status = []
    for y, r, copy in columns:
        if r is None:
            due = (today or date.today()) > date(y + 1, 3, 31)
            status.append({"year": y, "report": None, "state": "missing" if due else "not_yet_due",
                           "another_copy": False})
            continue
        state = "unknown_date" if r["days_late"] is None else ("late" if r["days_late"] > 0 else "on_time")
        fails = [f for f in failed if f["report_id"] == r["id"]]
        status.append({
            "year": y, "report": r, "state": state, "another_copy": copy,  # not "copy": a dict's method in Jinja
            "body_id": r["body_id"], "body_name": names.get(r["body_id"]),
            "failed": [f for f in fails if f["rule"] != "carried_over_last_year"],
            "cross_year": [f for f in fails if f["rule"] == "carried_over_last_year"],
        })
    for st in status:
        st["state_zh"] = L.zh("coverage", st["state"])
    return {"years": [y for y, _r, _c in columns], "columns": status, "rows": out_rows, "status": status,
            "reports": reports, "spellings": spelled}


# --- the archived original, downloaded as itself ----------------------------------------

MEDIA = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".html": "text/html",
    ".txt": "text/plain",
}
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def sniff_extension(body: bytes, content_type: str | None) -> str:
    """What the bytes are (their own signature first, the server's Content-Type second)."""
    head = body[:2048]
    if head.startswith(PDF_MAGIC):
        return ".pdf"
    if head.startswith(ZIP_MAGIC) and (b"word/" in body[:65536] or b"[Content_Types].xml" in head):
        return ".docx"
    if head.startswith(OLE_MAGIC):
        return ".doc"
    ctype = (content_type or "").lower()
    for ext, media in MEDIA.items():
        if media in ctype:
            return ext
    lowered = head.lstrip().lower()
    if b"<html" in lowered or lowered.startswith((b"<!doctype", b"<?xml", b"<head", b"<body", b"<table")):
        return ".html"
    return ".txt"


def original_filename(url: str, headers: dict, ext: str, fallback: str) -> str:
    """The document's own name: the server's Content-Disposition filename, else the last
    part of its URL; with the extension its bytes call for."""
    from urllib.parse import unquote, urlsplit

    from nianbao.filenames import disposition_filename

    disposition = headers.get("content-disposition") or ""
    name = disposition_filename(disposition.encode("latin-1", "replace")).replace("\\", "/").rsplit("/", 1)[-1]
    if not name:
        path = urlsplit(url).path if "://" in url else url.split(":", 1)[-1]
        name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", name).strip(" ._") or fallback
    stem, dot, old = name.rpartition(".")
    if dot and ("." + old.lower()) in (*MEDIA, ".htm", ".shtml", ".jsp", ".php", ".aspx"):
        name = stem
    if ext == ".html" and dot and old.lower() in ("htm", "shtml"):
        return f"{stem}.{old}"
    return name + ext
