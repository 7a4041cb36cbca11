"""Reports as PDF attachments (fpdf2, an embedded CJK TrueType font, real text).

The text must come back out of pdfplumber, so it is set in a CJK font rather
than drawn as images. The font is found at the first of FONT_CANDIDATES that
exists (or $NIANBAO_CJK_FONT); on Debian `apt-get install fonts-wqy-microhei`.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path

from parsers import keys
from sandbox import texts

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
# A fixed creation date keeps the bytes identical from run to run.
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class FontMissing(RuntimeError):
    pass


@cache
def font_path() -> str:
    for p in (os.environ.get("NIANBAO_CJK_FONT"), *FONT_CANDIDATES):
        if p and Path(p).is_file():
            return p
    raise FontMissing("no CJK font for PDF reports: apt-get install fonts-wqy-microhei "
                      "(or set NIANBAO_CJK_FONT to a .ttf/.ttc)")


def render(report) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_EPOCH)
    pdf.set_title(report.title)
    pdf.set_author(report.body.name)
    pdf.add_font("cjk", "", font_path())
    pdf.set_margins(12, 15, 12)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    record = report.record
    width = pdf.epw

    def para(text: str, size: float = 10.5, align: str = "L") -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, size * 0.6, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    para(report.title, 16, "C")
    para(texts.preamble(report.body.name, report.year))
    if report.format == "pre-2019":
        for key, heading in texts.HEADINGS_PRE2019:
            para(heading, 12)
            para(record["sections"][key] if key else texts.fees_pre2019(report.year))
    else:
        tables = record["tables"]
        for key, heading in texts.HEADINGS.items():
            para(heading, 12)
            if record["sections"][key]:
                para(record["sections"][key])
            if key == "active_disclosure":
                _table(pdf, _active_rows(tables[key], report.format), (50,))
            elif key == "applications":
                _table(pdf, _application_rows(tables[key], report.format), (70,))
            elif key == "review_litigation":
                _review(pdf, tables[key])
    para(report.body.name, align="R")
    y, m, d = report.published.split("-")
    para(f"{y}年{int(m)}月{int(d)}日", align="R")
    return bytes(pdf.output())


def _active_rows(table: dict, fmt: str) -> list[list[str]]:
    rows, seen = [], []
    for key, label, item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        if item not in seen:
            seen.append(item)
            rows.append([item, "", "", ""])
            labels = [keys.ACTIVE_COLUMN_LABELS_2019.get(c, keys.ACTIVE_COLUMN_LABELS[c])
                      if fmt == "2019" else keys.ACTIVE_COLUMN_LABELS[c] for c in cols]
            rows.append(["信息内容", *labels, *[""] * (3 - len(cols))])
        cells = [table.get(key, {}).get(c, {}).get("raw", "") for c in cols]
        rows.append([label, *cells, *[""] * (3 - len(cols))])
    return rows


def _application_rows(table: dict, fmt: str) -> list[list[str]]:
    head = ["", *(keys.APPLICATION_COLUMN_LABELS[c] for c in keys.APPLICATION_COLUMNS)]
    rows = [head]
    for key, group, label in keys.APPLICATION_ROWS[fmt]:
        name = f"{group}{label}" if group else label
        rows.append([name, *(table.get(key, {}).get(c, {}).get("raw", "") for c in keys.APPLICATION_COLUMNS)])
    return rows


def _review(pdf, table: dict) -> None:
    # 15 columns do not fit one A4 row legibly: print the three groups one under another.
    rows = [["", *(keys.OUTCOME_LABELS[o] for o in keys.OUTCOMES)]]
    for g in keys.REVIEW_GROUPS:
        rows.append([keys.REVIEW_GROUP_LABELS[g], *(table[f"{g}_{o}"]["raw"] for o in keys.OUTCOMES)])
    _table(pdf, rows, (40,))


def _table(pdf, rows: list[list[str]], first_width: tuple[int]) -> None:
    n = len(rows[0])
    rest = (pdf.epw - first_width[0]) / (n - 1)
    pdf.set_font("cjk", size=8)
    with pdf.table(col_widths=(first_width[0], *([rest] * (n - 1))), text_align="CENTER",
                   first_row_as_headings=False, line_height=4.5) as t:
        for row in rows:
            r = t.row()
            for text in row:
                r.cell(text)
    pdf.ln(2)
