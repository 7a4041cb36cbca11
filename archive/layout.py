"""Lay a report's cells out as the national template prints them (pure functions).

Each table becomes a list of rows; a row is a list of slots
{"kind": "head"|"label"|"value", "text", "rowspan", "colspan", ...}. Value
slots carry the cell (value, raw, unit), its anchor id, its permalink path and
the failed checks that involve it, so the template only loops and escapes.
"""

from __future__ import annotations

from parsers import keys

from . import permalinks as pl
from .rows import is_uncertain

APPLICANTS = keys.APPLICATION_COLUMNS[:-1]
HANDLED_SIDES = ("new_received", "carried_over", "handled_total", "carried_forward")


def _head(text, rowspan=1, colspan=1):
    return {"kind": "head", "text": text, "rowspan": rowspan, "colspan": colspan}


def _label(text, rowspan=1, colspan=1):
    return {"kind": "label", "text": text, "rowspan": rowspan, "colspan": colspan}


def failed_cells(checks: list[dict]) -> dict[tuple[str, str, str], list[str]]:
    """(table, row, column) -> rules that failed on a sum that includes the cell."""
    out: dict[tuple[str, str, str], list[str]] = {}

    def mark(table, row, col, rule):
        out.setdefault((table, row, col), []).append(rule)

    for c in checks:
        if c["status"] != "failed":
            continue
        rule, table, col = c["rule"], c["table_name"], c["column_key"]
        if rule == "balance":
            for row in HANDLED_SIDES:
                mark(table, row, col, rule)
        elif rule == "handled_sum":
            for row in ("handled_total", *keys.HANDLED_ROW_KEYS):
                mark(table, row, col, rule)
        elif rule == "row_total":  # column_key is the row
            for applicant in keys.APPLICATION_COLUMNS:
                mark(table, col, applicant, rule)
        elif rule == "review_total":
            group = col.rsplit("_", 1)[0]
            for outcome in keys.OUTCOMES:
                mark(table, pl.REVIEW_ROW_KEY, f"{group}_{outcome}", rule)
        elif rule == "carried_over_last_year":
            mark(table, "carried_over", col, rule)
    return out


class _Values:
    def __init__(self, report: str, cells: dict, failed: dict):
        self.report, self.cells, self.failed = report, cells, failed

    def slot(self, table, row, col):
        cell = self.cells.get((table, row, col))
        return {
            "kind": "value",
            "rowspan": 1,
            "colspan": 1,
            "present": cell is not None,
            "value": None if cell is None else cell["value"],
            "raw": "" if cell is None else cell["raw"],
            "unit": None if cell is None else cell.get("unit"),
            "anchor": pl.cell_anchor(table, row, col),
            "path": pl.cell_path(self.report, table, row, col),
            "failed": self.failed.get((table, row, col), []),
            "uncertain": cell is not None and is_uncertain(cell["value"], cell["raw"]),
        }


def active_disclosure(fmt: str, v: _Values) -> list[list[dict]]:
    """Blocks of rows sharing a column set, each under its own header row."""
    rows, block_cols = [], None
    for key, label, item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        if cols != block_cols:
            labels = keys.ACTIVE_COLUMN_LABELS_2019 if fmt == "2019" else {}
            heads = [_head(labels.get(c) or keys.ACTIVE_COLUMN_LABELS[c]) for c in cols]
            rows.append([_head(item), _head("信息内容"), *heads])
            block_cols = cols
        rows.append([_label(""), _label(label), *[v.slot("active_disclosure", key, c) for c in cols]])
    return rows


def applications(fmt: str, v: _Values) -> list[list[dict]]:
    spec = keys.APPLICATION_ROWS[fmt]
    handled = [r for r in spec if r[0] in keys.HANDLED_ROW_KEYS or r[0] == "handled_total"]
    group_sizes: dict[str, int] = {}
    for _key, group, _printed in spec:
        if group:
            group_sizes[group] = group_sizes.get(group, 0) + 1
    rows = [
        [
            _head("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", rowspan=3, colspan=3),
            _head("申请人情况", colspan=7),
        ],
        [_head("自然人", rowspan=2), _head("法人或其他组织", colspan=5), _head("总计", rowspan=2)],
        [_head(keys.APPLICATION_COLUMN_LABELS[c]) for c in APPLICANTS[1:]],
    ]
    seen_groups: set[str] = set()
    for key, group, label in spec:
        labels = []
        if key == handled[0][0]:
            labels.append(_label(keys.HANDLED_GROUP_LABEL, rowspan=len(handled)))
        if key in ("new_received", "carried_over", "carried_forward"):
            labels.append(_label(label, colspan=3))
        elif group:
            if group not in seen_groups:
                seen_groups.add(group)
                labels.append(_label(group, rowspan=group_sizes[group]))
            labels.append(_label(label))
        else:
            labels.append(_label(label, colspan=2))
        rows.append(labels + [v.slot("applications", key, c) for c in keys.APPLICATION_COLUMNS])
    return rows


def review_litigation(v: _Values) -> list[list[dict]]:
    outcomes = [_head(keys.OUTCOME_LABELS[o]) for o in keys.OUTCOMES]
    return [
        [_head(keys.REVIEW_GROUP_LABELS["review"], colspan=5), _head("行政诉讼", colspan=10)],
        [
            *[dict(h, rowspan=2) for h in outcomes],
            _head(keys.REVIEW_GROUP_LABELS["suit_direct"], colspan=5),
            _head(keys.REVIEW_GROUP_LABELS["suit_after_review"], colspan=5),
        ],
        outcomes + outcomes,
        [v.slot("review_litigation", pl.REVIEW_ROW_KEY, c) for c in keys.REVIEW_COLUMNS],
    ]


def report_tables(report: str, fmt: str | None, cells: list[dict], checks: list[dict]) -> list[dict]:
    """[{key, title, rows}] for the tables this report has, in printed order."""
    index = {(c["table_name"], c["row_key"], c["column_key"]): c for c in cells}
    present = {c["table_name"] for c in cells}
    fmt = fmt if fmt in ("2019", "2021") else _guess_format(index)
    v = _Values(report, index, failed_cells(checks))
    out = []
    titles = dict(keys.SECTIONS)
    if "active_disclosure" in present:
        out.append(
            {
                "key": "active_disclosure",
                "title": titles["active_disclosure"],
                "rows": active_disclosure(fmt, v),
            }
        )
    if "applications" in present:
        out.append({"key": "applications", "title": titles["applications"], "rows": applications(fmt, v)})
    if "review_litigation" in present:
        out.append(
            {"key": "review_litigation", "title": titles["review_litigation"], "rows": review_litigation(v)}
        )
    return out


def _guess_format(index: dict) -> str:
    return "2019" if ("applications", "other", "total") in index else "2021"
