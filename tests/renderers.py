"""Render the three report tables the ways they are published, for round-trip tests.

Input is a `Tables` of printed cell texts (raw strings, "" for blank), keyed as in
parsers/keys.py. Layouts:

- `html_*`: the national template as government CMSs print it, with the spans of
  ../shared/spec/report-format.md (applications: 10-column grid, 勾稽 note
  rowspan=3 colspan=3, 三、本年度办理结果 rowspan 20/22, (三) rowspan=8, (四) 3,
  (五) 5; part 2 optionally 5 columns wide with colspan=2 on the middle value;
  part 4: 行政复议 colspan=5 / 行政诉讼 colspan=10 over one row of 15).
- text dumps, from the same printed rows: `pipe` (seeds 000/001), `tab` (002),
  `cell_lines` (one cell per line, as PDF text), `blank_line` (004).

A layout that cannot show an empty cell (one cell per line) prints it as "—",
as PDFs do; `printed_raw` says what a blank cell reads back as in each layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from parsers import keys

JIGOU_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
TEXT_LAYOUTS = ("pipe", "tab", "cell_lines", "blank_line")
BLANK_MARK = "—"
HEADINGS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")


@dataclass
class Tables:
    fmt: str  # "2019" or "2021"
    active: dict[str, dict[str, str]] = field(default_factory=dict)
    applications: dict[str, dict[str, str]] = field(default_factory=dict)
    review: dict[str, str] = field(default_factory=dict)


def printed_raw(raw: str, layout: str) -> str:
    return BLANK_MARK if layout == "cell_lines" and raw == "" else raw


# --- Printed rows (shared by every text layout) ------------------------------------


def active_items(fmt: str) -> list[tuple[str, list[tuple[str, str, tuple[str, ...]]]]]:
    """(第二十条 item, [(row key, label, columns)]) in printed order."""
    items: list[tuple[str, list]] = []
    for key, label, item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        if not items or items[-1][0] != item:
            items.append((item, []))
        items[-1][1].append((key, label, cols))
    return items


def column_label(col: str, fmt: str) -> str:
    if fmt == "2019" and col in keys.ACTIVE_COLUMN_LABELS_2019:
        return keys.ACTIVE_COLUMN_LABELS_2019[col]
    return keys.ACTIVE_COLUMN_LABELS[col]


def active_rows(t: Tables) -> list[list[str]]:
    rows = []
    for item, members in active_items(t.fmt):
        rows.append([item])
        rows.append(["信息内容", *(column_label(c, t.fmt) for c in members[0][2])])
        for key, label, cols in members:
            rows.append([label, *(t.active[key][c] for c in cols)])
    return rows


def application_rows(t: Tables) -> list[list[str]]:
    rows = [
        [JIGOU_NOTE, "申请人情况"],
        ["自然人", "法人或其他组织", "总计"],
        [keys.APPLICATION_COLUMN_LABELS[c] for c in keys.APPLICATION_COLUMNS[1:-1]],
    ]
    seen_groups: set[str] = set()
    first_handled = True
    for key, group, label in keys.APPLICATION_ROWS[t.fmt]:
        head = []
        if key not in ("new_received", "carried_over", "carried_forward"):
            if first_handled:
                head.append(keys.HANDLED_GROUP_LABEL)
                first_handled = False
            if group and group not in seen_groups:
                seen_groups.add(group)
                head.append(group)
        head.append(label)
        rows.append(head + [t.applications[key][c] for c in keys.APPLICATION_COLUMNS])
    return rows


def review_rows(t: Tables) -> list[list[str]]:
    outcomes = [keys.OUTCOME_LABELS[o] for o in keys.OUTCOMES]
    return [
        ["行政复议", "行政诉讼"],
        [*outcomes, "未经复议直接起诉", "复议后起诉"],
        outcomes + outcomes,
        [t.review[c] for c in keys.REVIEW_COLUMNS],
    ]


# --- Text layouts -------------------------------------------------------------------


def render_rows(rows: list[list[str]], layout: str) -> str:
    if layout == "pipe":
        return "\n".join(" | ".join(row) + " |" for row in rows)
    if layout == "tab":
        return "\n".join("\t".join(row) for row in rows)
    if layout == "cell_lines":
        return "\n".join(printed_raw(c, layout) for row in rows for c in row)
    if layout == "blank_line":
        # one blank line between cells; each blank cell is one more blank line
        out = ""
        for cell in (c for row in rows for c in row):
            out += "\n" if cell == "" else ("\n\n" if out else "") + cell
        return out
    raise ValueError(layout)


def report_text(t: Tables, layout: str, org: str = "某某县人民政府", year: int | None = None) -> str:
    year = year or (2020 if t.fmt == "2019" else 2022)
    sep = "\n\n" if layout == "blank_line" else "\n"
    tables = {1: active_rows(t), 2: application_rows(t), 3: review_rows(t)}
    parts = [f"{org}{year}年政府信息公开工作年度报告"]
    for index, heading in enumerate(HEADINGS):
        parts.append(heading)
        if index in tables:
            parts.append(render_rows(tables[index], layout))
        else:
            parts.append(f"本部分为第{index + 1}部分的正文。")
    return sep.join(parts) + sep


# --- HTML ---------------------------------------------------------------------------


@dataclass
class Style:
    """How one page prints labels and blanks: a set of the quirks of the spec."""

    quirks: frozenset[str] = frozenset()

    def label(self, text: str) -> str:
        q = self.quirks
        if "enum_comma" in q and len(text) > 1 and text[0].isdigit() and text[1] == ".":
            text = text[0] + "、" + text[2:]
        if "label_typos" in q:
            text = {"规章": "规范"}.get(text, text).replace("三类内部事务", "三类内容事务")
        if "fullwidth_parens" in q:
            text = text.replace("(", "（").replace(")", "）")
        out = escape(text)
        if "split_headers" in q:
            out = {"商业企业": "商业</p><p>企业", "结果纠正": "结果<br/>纠正", "社会公益组织": "社会公益<br>组织",
                   "法律服务机构": "法律服务\n机构"}.get(out, out)
        return out

    def vertical(self, text: str) -> str:
        if "vertical_labels" in self.quirks:  # a narrow column: one character per line
            return "".join(f"<p>{escape(ch)}</p>" for ch in text)
        return self.label(text)

    def value(self, raw: str) -> str:
        if raw == "":
            return "&nbsp;" if "nbsp_blanks" in self.quirks else ""
        return escape(raw)


TABLE_OPEN = '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">'


def td(content: str, rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f'<td{attrs} valign="middle"><p style="text-align:center">{content}</p></td>'


def html_active(t: Tables, style: Style) -> str:
    wide = "wide_grid" in style.quirks  # 5 grid columns: the middle of 3 values takes colspan=2
    width = 5 if wide else 4
    out = [TABLE_OPEN, "<tbody>"]
    for item, members in active_items(t.fmt):
        out.append(f"<tr>{td(style.label(item), colspan=width)}</tr>")
        labels = [style.label(column_label(c, t.fmt)) for c in members[0][2]]
        out.append("<tr>" + td("信息内容") + _spread(labels, width - 1) + "</tr>")
        for key, label, cols in members:
            values = [style.value(t.active[key][c]) for c in cols]
            out.append("<tr>" + td(style.label(label)) + _spread(values, width - 1) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _spread(items: list[str], width: int) -> str:
    spans = [1] * len(items)
    if width > len(items):
        spans[1 if len(items) == 3 else -1] += width - len(items)
    return "".join(td(item, colspan=span) for item, span in zip(items, spans, strict=True))


class _CellStyle:
    """This module's Style seen through the sandbox renderer's interface (cells, not raws)."""

    def __init__(self, style: Style):
        self.style = style

    def label(self, text: str) -> str:
        return self.style.label(text)

    def vertical(self, text: str) -> str:
        return self.style.vertical(text)

    def value(self, cell: dict | None) -> str:
        return self.style.value("" if cell is None else cell["raw"])


def html_applications(t: Tables, style: Style) -> str:
    """The applications grid with the spec's spans, as the sandbox prints it
    (sandbox/render_tables.py), with this page's quirks."""
    from sandbox import render_tables

    table = {row: {col: {"raw": raw} for col, raw in cells.items()} for row, cells in t.applications.items()}
    return render_tables.applications(table, t.fmt, _CellStyle(style))


def html_review(t: Tables, style: Style) -> str:
    outcomes = [style.label(keys.OUTCOME_LABELS[o]) for o in keys.OUTCOMES]
    return "\n".join([
        TABLE_OPEN, "<tbody>",
        "<tr>" + td("行政复议", colspan=5) + td("行政诉讼", colspan=10) + "</tr>",
        "<tr>" + "".join(td(o, rowspan=2) for o in outcomes) + td("未经复议直接起诉", colspan=5)
        + td("复议后起诉", colspan=5) + "</tr>",
        "<tr>" + "".join(td(o) for o in outcomes + outcomes) + "</tr>",
        "<tr>" + "".join(td(style.value(t.review[c])) for c in keys.REVIEW_COLUMNS) + "</tr>",
        "</tbody></table>",
    ])


def report_html(t: Tables, style: Style | None = None, org: str = "某某县人民政府", year: int | None = None,
                published: str = "2023-01-20") -> str:
    """A minimal TRS-style article page holding the report."""
    style = style or Style()
    year = year or (2020 if t.fmt == "2019" else 2022)
    title = f"{org}{year}年政府信息公开工作年度报告"
    tables = {1: html_active(t, style), 2: html_applications(t, style), 3: html_review(t, style)}
    body = []
    for index, heading in enumerate(HEADINGS):
        body.append(f"<p><strong>{heading}</strong></p>")
        body.append(tables.get(index, f"<p>本部分为第{index + 1}部分的正文。</p>"))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{published} 10:00">'
        f"<title>{title}_{org}</title></head><body>"
        '<div class="bar">无障碍浏览 长者专版</div><div class="position">当前位置：首页 &gt; 政务公开</div>'
        f'<h1>{title}</h1><div class="TRS_Editor">{"".join(body)}</div>'
        '<div class="share">分享到：微信 微博</div><div class="footer">主办：某某县人民政府办公室</div>'
        "</body></html>"
    )
