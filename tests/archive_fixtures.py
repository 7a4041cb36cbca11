"""Hand-built records in the exact shape of docs/record.md, for archive and site tests.

make_record("2021") is a complete report whose numbers satisfy every 勾稽 rule;
callers tweak cells (and call recheck) to make checks fail.
"""

from __future__ import annotations

import copy
import hashlib

from parsers import keys

APPLICANTS = keys.APPLICATION_COLUMNS[:-1]


def cell(value, raw=None):
    return {"value": value, "raw": str(value) if raw is None else raw}


def _applications(fmt: str, seed: int) -> dict:
    handled = [k for k, _, _ in keys.APPLICATION_ROWS[fmt] if k in keys.HANDLED_ROW_KEYS]
    table: dict[str, dict] = {}
    per_col: dict[str, dict[str, int]] = {}
    for i, col in enumerate(APPLICANTS):
        vals = {row: (seed + i + j) % 3 for j, row in enumerate(handled)}
        vals["handled_total"] = sum(vals.values())
        vals["carried_over"] = (seed + i) % 2
        vals["carried_forward"] = (seed + 2 * i) % 2
        vals["new_received"] = vals["handled_total"] + vals["carried_forward"] - vals["carried_over"]
        per_col[col] = vals
    for row, _, _ in keys.APPLICATION_ROWS[fmt]:
        table[row] = {col: cell(per_col[col][row]) for col in APPLICANTS}
        table[row]["total"] = cell(sum(per_col[col][row] for col in APPLICANTS))
    return table


def _active(fmt: str, seed: int) -> dict:
    out = {}
    for n, (row, _label, _item, cols) in enumerate(keys.ACTIVE_DISCLOSURE[fmt]):
        out[row] = {col: cell(seed * 10 + n + k) for k, col in enumerate(cols)}
    if fmt == "2021":
        out["fees"]["amount"] = {"value": 25829.67, "raw": "25829.67", "unit": "万元"}
    return out


def _review(seed: int) -> dict:
    out = {}
    for g in keys.REVIEW_GROUPS:
        parts = {o: (seed + len(g) + k) % 3 for k, o in enumerate(keys.OUTCOMES[:-1])}
        for o, v in parts.items():
            out[f"{g}_{o}"] = cell(v)
        out[f"{g}_total"] = cell(sum(parts.values()))
    return out


def _status(left, right):
    if left is None or right is None:
        return "not_checkable"
    return "passed" if left == right else "failed"


def _check(rule, table, column, left, right):
    return {
        "rule": rule,
        "table": table,
        "column": column,
        "status": _status(left, right),
        "left": left,
        "right": right,
        "detail": "",
    }


def _sum(values):
    return None if any(v is None for v in values) else sum(values)


def recheck(record: dict) -> dict:
    """Recompute record['checks'] from its tables (same rules as the parser)."""
    checks = []
    apps = record["tables"].get("applications") or {}
    fmt = record["format"]

    def v(row, col):
        return (apps.get(row, {}).get(col) or {}).get("value")

    handled = [k for k, _, _ in keys.APPLICATION_ROWS[fmt] if k in keys.HANDLED_ROW_KEYS]
    for col in keys.APPLICATION_COLUMNS:
        checks.append(
            _check(
                "balance",
                "applications",
                col,
                _sum([v("new_received", col), v("carried_over", col)]),
                _sum([v("handled_total", col), v("carried_forward", col)]),
            )
        )
        checks.append(
            _check(
                "handled_sum",
                "applications",
                col,
                v("handled_total", col),
                _sum([v(r, col) for r in handled]),
            )
        )
    for row in apps:
        checks.append(
            _check("row_total", "applications", row, v(row, "total"), _sum([v(row, c) for c in APPLICANTS]))
        )
    review = record["tables"].get("review_litigation") or {}
    for g in keys.REVIEW_GROUPS:
        checks.append(
            _check(
                "review_total",
                "review_litigation",
                f"{g}_total",
                review[f"{g}_total"]["value"],
                _sum([review[f"{g}_{o}"]["value"] for o in keys.OUTCOMES[:-1]]),
            )
        )
    record["checks"] = checks
    return record


def make_record(
    fmt: str = "2021",
    *,
    organization: str = "驻马店经济开发区管委会",
    year: int | None = None,
    published: str | None = None,
    seed: int = 1,
    title: str | None = None,
) -> dict:
    year = year if year is not None else (2021 if fmt == "2021" else 2019)
    record = {
        "source": f"test:{organization}/{year}",
        "title": title if title is not None else f"{organization}{year}年政府信息公开工作年度报告",
        "organization": organization,
        "year": year,
        "published": published if published is not None else f"{year + 1}-01-20",
        "format": fmt,
        "sections": {part: f"{label}:{organization}{year}年的{label}。" for part, label in keys.SECTIONS},
        "tables": {
            "active_disclosure": _active(fmt, seed),
            "applications": _applications(fmt, seed),
            "review_litigation": _review(seed),
        },
        "checks": [],
        "problems": [],
    }
    return recheck(record)


def set_cell(record: dict, table: str, row: str | None, col: str, value, raw=None) -> dict:
    record = copy.deepcopy(record)
    target = record["tables"][table] if row is None else record["tables"][table][row]
    target[col] = cell(value, raw)
    return recheck(record)


EVIL = '<script>alert("x")</script>'


def _hex8(text):
    return hashlib.sha1(text.encode()).hexdigest()[:8]


# Permalink stems of the demo bodies: {division code}-{sha1 of normalised name}.
ZMD = f"411700-{_hex8('驻马店经济开发区管委会')}"
ZY = f"530303-{_hex8('沾益区人民政府')}"
PT = f"350128-{_hex8('平潭综合实验区')}"


def build_demo_archive(path) -> tuple[dict, dict]:
    """A small archive: 驻马店 2020 (2019 format) and 2021 (2021 format, a failing
    cell), 沾益区 2019, and a 平潭 2022 report with <script> in its title and a cell.
    Returns (records by name, snapshot ids by name)."""
    import archive

    db = archive.open_archive(path)
    records = {
        "zmd2020": make_record("2019", year=2020, published="2021-02-22", seed=2),
        "zmd2021": set_cell(make_record("2021", year=2021, seed=3), "applications", "granted", "total", 99),
        "zy2019": make_record("2019", organization="沾益区", year=2019, published="2020-04-21"),
        "evil": make_record("2021", organization="平潭综合实验区", year=2022, title=f"平潭{EVIL}年报"),
    }
    records["evil"]["tables"]["applications"]["granted"]["natural_person"]["raw"] = EVIL
    snaps = {}
    for n, (name, rec) in enumerate(records.items()):
        url = f"https://gov.example.cn/nb/{name}.htm"
        snaps[name], _ = archive.save_snapshot(
            db, url=url, body=f"<html>{name}{EVIL}</html>".encode(), fetched_at=f"2022-03-0{n + 1}T00:00:00Z"
        )
        archive.save_report(db, rec, snapshot_id=snaps[name], url=url)
    archive.store.checkpoint(db)
    db.conn.close()
    return records, snaps
