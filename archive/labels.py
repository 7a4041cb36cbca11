"""Chinese labels (with English beside) of every key a user sees: tables, rows, columns
of the three tables, check rules and statuses, levels, template versions and report parts.

One source for the pages, the charts, the exports and the `labels` table users join
(archive/schema.py, migration 12): `label_rows()`. Row and column labels are the national
template's printed wording (parsers/keys.py); a key whose wording differs between the
2019 and 2021 templates has the 2021 wording here and the printed one on a report's page.
"""

from __future__ import annotations

from functools import cache

from parsers import keys

REVIEW_ROW_KEY = "counts"

TABLES = {
    "active_disclosure": ("二、主动公开政府信息情况", "proactive disclosure"),
    "applications": ("三、收到和处理政府信息公开申请情况", "applications"),
    "review_litigation": ("四、政府信息公开行政复议、行政诉讼情况", "administrative review and litigation"),
}
RULES = {
    "balance": ("第一项加第二项之和等于第三项加第四项之和", "received + carried over = handled + carried forward"),
    "handled_sum": ("办理结果总计等于各项之和", "handled total = sum of the outcomes"),
    "row_total": ("总计等于各类申请人之和", "total = sum of the applicant columns"),
    "review_total": ("复议、诉讼总计等于各结果之和", "review/suit total = sum of its outcomes"),
    "carried_over_last_year": ("上年结转等于上年度报告的结转下年度", "carried over = last year's carried forward"),
}
STATUSES = {
    "passed": ("通过", "passed"),
    "failed": ("未通过", "failed"),
    "not_checkable": ("无法检查（有空白单元格）", "not checkable (blank cell)"),
    "none": ("无检查", "no checks"),
}
LEVELS = {
    "province": ("省级人民政府", "provincial government"),
    "city": ("市级人民政府", "city government"),
    "county": ("县级人民政府", "county government"),
    "township": ("乡镇人民政府、街道办事处", "township or street office"),
    "zone": ("开发区、园区管理机构", "development zone"),
    "department": ("政府部门", "government department"),
}
FORMATS = {
    "2019": ("2019年版模板（国办公开办函〔2019〕60号）", "2019 template"),
    "2021": ("2021年版模板（国办公开办函〔2021〕30号）", "2021 template"),
    "pre-2019": ("2019年以前的格式", "before 2019"),
}
COVERAGE = {
    "on_time": ("按时公开", "on time"),
    "late": ("逾期公开", "late"),
    "unknown_date": ("已公开，日期不明", "published, date unknown"),
    "missing": ("未找到", "missing"),
    "not_yet_due": ("未到期限", "not yet due"),
}
APPLICANT_GROUP = "法人或其他组织"


@cache
def _row_labels() -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for fmt in ("2019", "2021"):  # 2021 wording wins where both print a key
        for key, label, _item, _cols in keys.ACTIVE_DISCLOSURE[fmt]:
            out["active_disclosure", key] = label
        for key, group, label in keys.APPLICATION_ROWS[fmt]:
            handled = key in keys.HANDLED_ROW_KEYS or key == "handled_total"
            parts = [keys.HANDLED_GROUP_LABEL] if handled else []
            parts += [group, label] if group else [label]
            out["applications", key] = " ".join(parts)
    out["review_litigation", REVIEW_ROW_KEY] = "行政复议、行政诉讼"
    return out


def table_label(table: str) -> str:
    return TABLES.get(table, (table, table))[0]


def row_label(table: str, row: str) -> str:
    """The row as the template prints it (group headings first), or the key if unknown."""
    return _row_labels().get((table, row), row)


_ONLY_2019_ROWS = {r[0] for r in keys.ACTIVE_DISCLOSURE["2019"]} - {r[0] for r in keys.ACTIVE_DISCLOSURE["2021"]}


def column_label(table: str, column: str, fmt: str | None = None, row: str | None = None) -> str:
    if table == "active_disclosure":
        if (fmt == "2019" or row in _ONLY_2019_ROWS) and column in keys.ACTIVE_COLUMN_LABELS_2019:
            return keys.ACTIVE_COLUMN_LABELS_2019[column]
        return keys.ACTIVE_COLUMN_LABELS.get(column, column)
    if table == "applications":
        label = keys.APPLICATION_COLUMN_LABELS.get(column, column)
        return label if column in ("natural_person", "total") else f"{APPLICANT_GROUP} · {label}"
    if table == "review_litigation" and "_" in column:
        group, outcome = column.rsplit("_", 1)
        if group in keys.REVIEW_GROUP_LABELS and outcome in keys.OUTCOME_LABELS:
            suit = "" if group == "review" else "行政诉讼 · "
            return f"{suit}{keys.REVIEW_GROUP_LABELS[group]} · {keys.OUTCOME_LABELS[outcome]}"
    return column


def cell_label(table: str, row: str, column: str, fmt: str | None = None) -> str:
    """One line naming a cell: 表 › 行 › 列."""
    parts = [table_label(table)]
    if table != "review_litigation":
        parts.append(row_label(table, row))
    parts.append(column_label(table, column, fmt, row))
    return " › ".join(parts)


def row_column_label(table: str, row: str, column: str, fmt: str | None = None) -> str:
    """A cell named within its table: 行 › 列."""
    if table == "review_litigation":
        return column_label(table, column, fmt, row)
    return f"{row_label(table, row)} › {column_label(table, column, fmt, row)}"


def cell_columns(fmt: str | None = None) -> list[tuple[str, str, str]]:
    """(table, row, column) of every cell either template prints (or `fmt`'s), in printed order."""
    fmts = (fmt,) if fmt in ("2019", "2021") else ("2021", "2019")
    out: dict[tuple[str, str, str], None] = {}
    for f in fmts:
        for row, _label, _item, cols in keys.ACTIVE_DISCLOSURE[f]:
            for col in cols:
                out[("active_disclosure", row, col)] = None
    for f in fmts:
        for row, _g, _l in keys.APPLICATION_ROWS[f]:
            for col in keys.APPLICATION_COLUMNS:
                out[("applications", row, col)] = None
    for col in keys.REVIEW_COLUMNS:
        out[("review_litigation", REVIEW_ROW_KEY, col)] = None
    return list(out)


def label_rows() -> list[dict]:
    """Rows of the `labels` table: (kind, table_name, key, zh, en)."""
    out = []

    def add(kind, key, zh, en, table=""):
        out.append({"kind": kind, "table_name": table, "key": key, "zh": zh, "en": en})

    for key, (zh, en) in TABLES.items():
        add("table", key, zh, en)
    for (table, row), zh in _row_labels().items():
        add("row", row, zh, row.replace("_", " "), table)
    columns = {(t, c) for t, _r, c in cell_columns()}
    for table, col in sorted(columns):
        zh = column_label(table, col)
        if table == "active_disclosure" and col in keys.ACTIVE_COLUMN_LABELS_2019:  # worded per row
            zh = f"{zh} / {keys.ACTIVE_COLUMN_LABELS_2019[col]}"
        add("column", col, zh, col.replace("_", " "), table)
    for kind, mapping in (("rule", RULES), ("status", STATUSES), ("level", LEVELS), ("format", FORMATS),
                          ("coverage", COVERAGE)):
        for key, (zh, en) in mapping.items():
            add(kind, key, zh, en)
    for key, zh in keys.SECTIONS:
        add("part", key, zh, key.replace("_", " "))
    return out


@cache
def lookup() -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, table_name, key) -> (zh, en)."""
    return {(r["kind"], r["table_name"], r["key"]): (r["zh"], r["en"]) for r in label_rows()}


def zh(kind: str, key: str | None, table: str = "") -> str | None:
    if key is None:
        return None
    found = lookup().get((kind, table, key))
    return found[0] if found else None
