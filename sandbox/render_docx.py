"""Reports as DOCX attachments (python-docx), tables with merged cells as in Word."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from parsers import keys
from sandbox import texts

_FIXED = dt.datetime(2020, 1, 1)


def render(report) -> bytes:
    from docx import Document

    doc = Document()
    record = report.record
    props = doc.core_properties
    props.title, props.author = report.title, report.body.name
    props.created = props.modified = props.last_printed = _FIXED
    doc.add_heading(report.title, level=1)
    doc.add_paragraph(texts.preamble(report.body.name, report.year))
    if report.format == "pre-2019":
        for key, heading in texts.HEADINGS_PRE2019:
            doc.add_paragraph(heading, style="Heading 2")
            for line in (record["sections"][key] if key else texts.fees_pre2019(report.year)).split("\n"):
                doc.add_paragraph(line)
    else:
        tables = record["tables"]
        for key, heading in texts.HEADINGS.items():
            doc.add_paragraph(heading, style="Heading 2")
            for line in record["sections"][key].split("\n"):
                if line:
                    doc.add_paragraph(line)
            if key == "active_disclosure":
                _active(doc, tables[key], report.format)
            elif key == "applications":
                _applications(doc, tables[key], report.format)
            elif key == "review_litigation":
                _review(doc, tables[key])
    doc.add_paragraph(report.body.name)
    y, m, d = report.published.split("-")
    doc.add_paragraph(f"{y}年{int(m)}月{int(d)}日")
    buf = io.BytesIO()
    doc.save(buf)
    return _normalized_zip(buf.getvalue())


def _normalized_zip(data: bytes) -> bytes:
    """python-docx stamps zip entries with the current time; fix it for identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _active(doc, table: dict, fmt: str) -> None:
    spec = keys.ACTIVE_DISCLOSURE[fmt]
    items = list(dict.fromkeys(item for _, _, item, _ in spec))
    t = doc.add_table(rows=len(items) * 2 + len(spec), cols=4)
    t.style = "Table Grid"
    r = 0
    seen = []
    for key, label, item, cols in spec:
        if item not in seen:
            seen.append(item)
            head = t.cell(r, 0).merge(t.cell(r, 3))
            head.text = item
            labels = [keys.ACTIVE_COLUMN_LABELS_2019.get(c, keys.ACTIVE_COLUMN_LABELS[c])
                      if fmt == "2019" else keys.ACTIVE_COLUMN_LABELS[c] for c in cols]
            _fill_row(t, r + 1, ["信息内容", *labels])
            r += 2
        _fill_row(t, r, [label, *(table.get(key, {}).get(c, {}).get("raw", "") for c in cols)])
        r += 1


def _fill_row(t, r: int, texts_: list[str]) -> None:
    """Fill a 4-column row; with fewer values the last one spans the rest (colspan)."""
    n = len(texts_)
    for i, text in enumerate(texts_):
        cell = t.cell(r, i)
        if i == n - 1 and n < 4:
            cell = cell.merge(t.cell(r, 3))
        cell.text = text


def _applications(doc, table: dict, fmt: str) -> None:
    rows = keys.APPLICATION_ROWS[fmt]
    t = doc.add_table(rows=3 + len(rows), cols=10)
    t.style = "Table Grid"
    # Take every cell once, fill, then merge: table.cell() rescans the grid on each call.
    g = [row.cells for row in t.rows]
    merges: list[tuple[int, int, int, int, str]] = [
        (0, 0, 2, 2, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
        (0, 3, 0, 9, "申请人情况"), (1, 3, 2, 3, "自然人"), (1, 4, 1, 8, "法人或其他组织"), (1, 9, 2, 9, "总计")]
    for i, c in enumerate(keys.APPLICATION_COLUMNS[1:-1]):
        g[2][4 + i].text = keys.APPLICATION_COLUMN_LABELS[c]
    handled = [i for i, (k, _, _) in enumerate(rows) if k not in ("new_received", "carried_over", "carried_forward")]
    merges.append((3 + handled[0], 0, 3 + handled[-1], 0, keys.HANDLED_GROUP_LABEL))
    groups: dict[str, list[int]] = {}
    for i, (_, group, _) in enumerate(rows):
        if group:
            groups.setdefault(group, []).append(i)
    for group, idx in groups.items():
        merges.append((3 + idx[0], 1, 3 + idx[-1], 1, group))
    for i, (key, group, label) in enumerate(rows):
        r = 3 + i
        if i not in handled:
            merges.append((r, 0, r, 2, label))
        elif group:
            g[r][2].text = label
        else:
            merges.append((r, 1, r, 2, label))
        for j, c in enumerate(keys.APPLICATION_COLUMNS):
            g[r][3 + j].text = table.get(key, {}).get(c, {}).get("raw", "")
    for r0, c0, r1, c1, text in merges:
        g[r0][c0].text = text
        g[r0][c0].merge(g[r1][c1])


def _review(doc, table: dict) -> None:
    t = doc.add_table(rows=4, cols=15)
    t.style = "Table Grid"
    t.cell(0, 0).merge(t.cell(0, 4)).text = "行政复议"
    t.cell(0, 5).merge(t.cell(0, 14)).text = "行政诉讼"
    for i, o in enumerate(keys.OUTCOMES):
        t.cell(1, i).merge(t.cell(2, i)).text = keys.OUTCOME_LABELS[o]
        t.cell(2, 5 + i).text = keys.OUTCOME_LABELS[o]
        t.cell(2, 10 + i).text = keys.OUTCOME_LABELS[o]
    t.cell(1, 5).merge(t.cell(1, 9)).text = "未经复议直接起诉"
    t.cell(1, 10).merge(t.cell(1, 14)).text = "复议后起诉"
    cells = t.rows[3].cells
    for i, c in enumerate(keys.REVIEW_COLUMNS):
        cells[i].text = table[c]["raw"]
