"""The three report tables as government CMS HTML, with the quirks of the spec.

Structure follows "How the tables look in the wild" (../shared/spec/report-format.md):
the applications table is a 10-column grid (3 label columns + 7 values) whose 勾稽
note is rowspan=3 colspan=3 and whose 三、本年度办理结果 spans 20 rows (2019) or 22
(2021); part 4 is a three-row header over one row of 15 numbers.
"""

from __future__ import annotations

from html import escape

from parsers import keys

_TABLE_OPEN = ('<table border="1" cellspacing="0" cellpadding="0" width="100%" '
               'style="border-collapse:collapse;border:none">')
JIGOU_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


class Style:
    """How one report prints its labels and blanks (from its quirks)."""

    def __init__(self, quirks=()):
        self.q = set(quirks)

    def label(self, text: str) -> str:
        if "fullwidth_parens" in self.q:
            text = text.replace("(", "（").replace(")", "）")
        if "enum_comma" in self.q and len(text) > 1 and text[0].isdigit() and text[1] == ".":
            text = text[0] + "、" + text[2:]
        if "label_typos" in self.q:
            text = {"规章": "规范", "5.属于三类内部事务信息": "5.属于三类内容事务信息",
                    "5、属于三类内部事务信息": "5、属于三类内容事务信息"}.get(text, text)
        out = escape(text)
        if "split_headers" in self.q:
            out = {"商业企业": "商业</p><p>企业", "结果纠正": "结果<br/>纠正",
                   "社会公益组织": "社会公益<br/>组织", "法律服务机构": "法律服务<br/>机构"}.get(out, out)
        return out

    def vertical(self, text: str) -> str:
        # Narrow label columns print one character per line.
        if "vertical_labels" in self.q:
            return "<br/>".join(escape(ch) for ch in text)
        return self.label(text)

    def value(self, cell: dict | None) -> str:
        raw = "" if cell is None else cell["raw"]
        if raw == "":
            return "&nbsp;" if "nbsp_blanks" in self.q else ""
        return escape(raw)


def td(content: str, rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f'<td{attrs} valign="center" style="border:1px solid #000"><p align="center">{content}</p></td>'


def active_disclosure(table: dict, fmt: str, style: Style) -> str:
    rows = [_TABLE_OPEN, "<tbody>"]
    width = 5 if (fmt == "2019" and "wide_grid" in style.q) else 4
    seen_items: list[str] = []
    for key, label, item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        if item not in seen_items:  # each 第二十条 item opens with its heading and column labels
            seen_items.append(item)
            rows.append(f"<tr>{td(style.label(item), colspan=width)}</tr>")
            labels = [_col_label(c, fmt) for c in cols]
            rows.append("<tr>" + td("信息内容") + _spread(labels, width - 1, style.label) + "</tr>")
        values = [style.value(table.get(key, {}).get(c)) for c in cols]
        rows.append("<tr>" + td(style.label(label)) + _spread(values, width - 1, lambda s: s) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _col_label(col: str, fmt: str) -> str:
    if fmt == "2019" and col in keys.ACTIVE_COLUMN_LABELS_2019:
        return keys.ACTIVE_COLUMN_LABELS_2019[col]
    return keys.ACTIVE_COLUMN_LABELS[col]


def _spread(items: list[str], width: int, fmt) -> str:
    """Lay n items over `width` grid columns; the last (or, on a 4-wide grid with 3
    items, the middle) cell takes the slack as colspan — so a grid cell repeats."""
    spans = [1] * len(items)
    slack = width - len(items)
    if slack > 0:
        spans[1 if len(items) == 3 else -1] += slack
    return "".join(td(fmt(it), colspan=s) for it, s in zip(items, spans, strict=True))


def applications(table: dict, fmt: str, style: Style) -> str:
    rows_spec = keys.APPLICATION_ROWS[fmt]
    out = [_TABLE_OPEN, "<tbody>",
           "<tr>" + td(escape(JIGOU_NOTE), rowspan=3, colspan=3) + td("申请人情况", colspan=7) + "</tr>",
           "<tr>" + td("自然人", rowspan=2) + td("法人或其他组织", colspan=5) + td("总计", rowspan=2) + "</tr>",
           "<tr>" + "".join(td(style.label(keys.APPLICATION_COLUMN_LABELS[c]))
                            for c in keys.APPLICATION_COLUMNS[1:-1]) + "</tr>"]
    handled = [r for r in rows_spec if r[0] not in ("new_received", "carried_over", "carried_forward")]
    group_sizes: dict[str, int] = {}
    for _, group, _ in rows_spec:
        if group:
            group_sizes[group] = group_sizes.get(group, 0) + 1
    opened: set[str] = set()
    for key, group, label in rows_spec:
        values = "".join(td(style.value(table.get(key, {}).get(c))) for c in keys.APPLICATION_COLUMNS)
        head = ""
        if key in ("new_received", "carried_over", "carried_forward"):
            head = td(style.label(label), colspan=3)
        else:
            if key == handled[0][0]:
                head += td(style.vertical(keys.HANDLED_GROUP_LABEL), rowspan=len(handled))
            if group:
                if group not in opened:
                    opened.add(group)
                    head += td(style.vertical(group), rowspan=group_sizes[group])
                head += td(style.label(label))
            else:
                head += td(style.label(label), colspan=2)
        out.append(f"<tr>{head}{values}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def review_litigation(table: dict, style: Style) -> str:
    out = [_TABLE_OPEN, "<tbody>",
           "<tr>" + td("行政复议", colspan=5) + td("行政诉讼", colspan=10) + "</tr>",
           "<tr>" + "".join(td(style.label(keys.OUTCOME_LABELS[o]), rowspan=2) for o in keys.OUTCOMES)
           + td("未经复议直接起诉", colspan=5) + td("复议后起诉", colspan=5) + "</tr>",
           "<tr>" + "".join(td(style.label(keys.OUTCOME_LABELS[o])) for _ in range(2) for o in keys.OUTCOMES)
           + "</tr>",
           "<tr>" + "".join(td(style.value(table.get(c))) for c in keys.REVIEW_COLUMNS) + "</tr>",
           "</tbody></table>"]
    return "\n".join(out)
