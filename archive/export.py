"""The wide table for researchers: one row per report, one column per cell of either
template, with body, region, level, year, format, days late and check status.

/-/export/wide.csv streams (UTF-8 with a BOM, so Excel opens it as UTF-8); /-/export/wide.xlsx
is written with XlsxWriter in constant memory. Filters: province (any spelling, see
archive/coverage.py), year, level, format. Every header is "中文 key". A value the parser
could not read with certainty is left empty and its key listed in `uncertain_cells`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from functools import cache

from . import labels as L
from .rows import is_uncertain

BATCH = 400  # reports per read: ~80k cells
# A workbook is built whole before it is sent (XlsxWriter, constant memory): 100,000 reports
# (~25M cells, a few minutes) at most; more is filtered, or downloaded as the streamed CSV.
XLSX_MAX_ROWS = 100_000
META = (
    ("id", "报告永久链接"), ("body_id", "机关编号"), ("organization", "发布机关"), ("province", "省"),
    ("city", "市"), ("county", "县"), ("level", "层级"), ("year", "报告年度"), ("format", "模板版本"),
    ("published", "发布日期"), ("deadline", "公开期限"), ("days_late", "逾期天数"),
    ("check_status", "勾稽检查"), ("checks_failed", "未通过检查数"), ("source_url", "原文链接"),
)
FILTERS = ("province", "year", "level", "format")


@cache
def cell_keys() -> tuple[tuple[str, str, str], ...]:
    return tuple(L.cell_columns())


@cache
def _cell_index() -> dict[tuple[str, str, str], int]:
    return {k: i for i, k in enumerate(cell_keys())}


def headers() -> list[str]:
    out = [f"{zh} {key}" for key, zh in META]
    out += [f"{L.cell_label(*k)} {'.'.join(k)}" for k in cell_keys()]
    out.append("不确定的单元格 uncertain_cells")
    return out


def where(args) -> tuple[str, list]:
    clauses, params = [], []
    for f in FILTERS:
        v = (args.get(f) or "").strip()
        if v:
            clauses.append(f"[{f}] = ?")
            params.append(int(v) if f == "year" and v.isdigit() else v)
    return (" AND ".join(clauses) or "1"), params


def _row(report: dict, cells: list) -> list:
    index = _cell_index()
    values: list = [None] * len(index)
    uncertain = []
    for key, value, raw in cells:
        i = index.get(key)
        if i is None:
            continue
        if is_uncertain(value, raw):
            uncertain.append(".".join(key))
        else:
            values[i] = value
    return [report[k] for k, _ in META] + values + [" ".join(uncertain)]


def csv_text(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


async def respond(datasette, request, ext: str):
    from datasette import Response
    from datasette.utils.asgi import AsgiStream

    db = datasette.get_database()
    year = (request.args.get("year") or "").strip()
    if year and not year.isdigit():
        return Response.text("year must be a number such as 2021 · 年度须为数字", status=400)
    clause, params = where(request.args)
    suffix = "-".join(v for v in (request.args.get(f, "").strip() for f in FILTERS) if v)
    name = f"nianbao-wide{'-' + suffix if suffix else ''}.{ext}"
    disposition = f"attachment; filename*=UTF-8''{_quote(name)}"
    if ext == "xlsx":
        n = (await db.execute(f"SELECT count(*) FROM reports WHERE {clause}", params)).rows[0][0]
        if n > XLSX_MAX_ROWS:
            return Response.text(f"{n} reports: more than {XLSX_MAX_ROWS:,} for one workbook; filter by province or"
                                 " year, or download the CSV · 报告过多，请按省份或年度筛选，或下载 CSV", status=400)
        data = await db.execute_fn(lambda conn: xlsx_bytes(conn, clause, params))
        return Response(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": disposition})
    # set by the site's wrapper (nianbao/site/plugin.py) when the client goes away
    disconnected = request.scope.get("nianbao.disconnected") or asyncio.Event()

    async def stream(writer):
        await writer.write("\ufeff" + csv_text([headers()]))
        after = ""
        while not disconnected.is_set():
            queue = await db.execute_fn(lambda conn, after=after: list_batches(conn, clause, params, after))
            if not queue:
                return
            for rows in queue:
                await writer.write(csv_text(rows))
            after = queue[-1][-1][0]  # the last report id written

    return AsgiStream(stream, content_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": disposition})


def list_batches(conn, clause, params, after: str = "", n: int = 5) -> list[list[list]]:
    """Up to n batches after report id `after` (one read on Datasette's thread)."""
    out = []
    gen = batches_after(conn, clause, params, after)
    for rows in gen:
        out.append(rows)
        if len(out) >= n:
            break
    return out


def batches_after(conn, clause, params, after: str):
    """Rows of the wide table, BATCH reports at a time, in id order after `after` (keyset)."""
    last = after
    cols = ", ".join(k for k, _ in META)
    names = [k for k, _ in META]
    while True:
        reports = conn.execute(f"SELECT {cols} FROM reports WHERE id > ? AND {clause} ORDER BY id LIMIT {BATCH}",
                               [last, *params]).fetchall()
        if not reports:
            return
        reports = [dict(zip(names, r, strict=True)) for r in reports]
        ids = [r["id"] for r in reports]
        cells: dict[str, list] = {i: [] for i in ids}
        for rid, table, row, col, value, raw in conn.execute(
                f"SELECT report_id, table_name, row_key, column_key, value, raw FROM cells"
                f" WHERE report_id IN ({','.join('?' * len(ids))})", ids).fetchall():
            cells[rid].append(((table, row, col), value, raw))
        yield [_row(r, cells[r["id"]]) for r in reports]
        last = ids[-1]


def xlsx_bytes(conn, clause: str, params: list) -> bytes:
    import xlsxwriter

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_urls": False})
        sheet = book.add_worksheet("reports 年度报告")
        bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        sheet.write_row(0, 0, headers(), bold)
        sheet.freeze_panes(1, 2)
        n = 1
        for rows in batches_after(conn, clause, params, ""):
            for row in rows:
                sheet.write_row(n, 0, row)
                n += 1
        book.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
