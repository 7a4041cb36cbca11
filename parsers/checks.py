"""The consistency checks (勾稽关系) of the spec, per column.

Each check is recorded as passed, failed (with both sides) or not_checkable
(a blank or missing cell). The archive states failures; it never repairs them.
"""

from __future__ import annotations

from parsers import keys

TOLERANCE = 1e-6


def _value(table: dict, row: str, col: str):
    cell = table.get(row, {}).get(col)
    return None if cell is None else cell.get("value")


def _check(rule: str, table: str, column: str, left: list, right: list, detail: str) -> dict:
    # values are int, float or None: `in` (identity first, then ==) finds exactly the Nones
    if None in left or None in right:
        return {"rule": rule, "table": table, "column": column, "status": "not_checkable",
                "left": None, "right": None, "detail": detail}
    lsum, rsum = sum(left), sum(right)
    status = "passed" if abs(lsum - rsum) < TOLERANCE else "failed"
    return {"rule": rule, "table": table, "column": column, "status": status,
            "left": lsum, "right": rsum, "detail": detail}


def _handled_rows(table: dict) -> list[str]:
    rows = [k for k in keys.HANDLED_ROW_KEYS if k in table]
    # a 2021 table has other_* rows, a 2019 table the single `other` row
    if any(k.startswith("other_") for k in rows):
        rows = [k for k in rows if k != "other"]
    return rows


def _row_values(table: dict, row: str, columns: tuple[str, ...]) -> list:
    """[_value(table, row, col) for col in columns], with one row lookup."""
    cells = table.get(row)
    if cells is None:
        return [None] * len(columns)
    out = []
    for col in columns:
        cell = cells.get(col)
        out.append(None if cell is None else cell.get("value"))
    return out


def application_checks(table: dict) -> list[dict]:
    out = []
    handled = _handled_rows(table)
    columns = keys.APPLICATION_COLUMNS
    new_received = _row_values(table, "new_received", columns)
    carried_over = _row_values(table, "carried_over", columns)
    handled_total = _row_values(table, "handled_total", columns)
    carried_forward = _row_values(table, "carried_forward", columns)
    handled_values = [_row_values(table, r, columns) for r in handled]
    for i, col in enumerate(columns):
        out.append(_check(
            "balance", "applications", col,
            [new_received[i], carried_over[i]],
            [handled_total[i], carried_forward[i]],
            "new_received + carried_over = handled_total + carried_forward",
        ))
        out.append(_check(
            "handled_sum", "applications", col,
            [handled_total[i]],
            [values[i] for values in handled_values] if handled else [None],
            "handled_total = sum of handled rows",
        ))
    for row in table:
        values = _row_values(table, row, columns)  # the six applicant columns, then total
        out.append(_check(
            "row_total", "applications", row,
            values[-1:],
            values[:-1],
            "total = sum of the six applicant columns",
        ))
    return out


def application_column_checks_pass(table: dict) -> bool:
    """True when no balance/handled_sum check fails (used to pick glued readings)."""
    return not any(
        c["status"] == "failed" for c in application_checks(table) if c["rule"] in ("balance", "handled_sum")
    )


def review_checks(table: dict) -> list[dict]:
    out = []
    for group in keys.REVIEW_GROUPS:
        total = f"{group}_total"
        parts = [f"{group}_{o}" for o in keys.OUTCOMES[:-1]]
        out.append(_check(
            "review_total", "review_litigation", total,
            [table.get(total, {}).get("value")],
            [table.get(p, {}).get("value") for p in parts],
            f"{total} = sum of its four outcomes",
        ))
    return out


def check_cells(check: dict, tables: dict) -> list[tuple[str, str, str]]:
    """The cells (table, row, column) a check adds up: the same rules as above.
    review_litigation cells have row ""."""
    rule, column = check["rule"], check["column"]
    if rule == "review_total":
        group = column.removesuffix("_total")
        return [("review_litigation", "", f"{group}_{o}") for o in keys.OUTCOMES]
    table = tables.get("applications", {})
    if rule == "balance":
        rows = ["new_received", "carried_over", "handled_total", "carried_forward"]
    elif rule == "handled_sum":
        rows = ["handled_total", *_handled_rows(table)]
    else:  # row_total: `column` is the row
        return [("applications", column, col) for col in keys.APPLICATION_COLUMNS]
    return [("applications", row, column) for row in rows]


def run_checks(tables: dict) -> list[dict]:
    out = []
    if "applications" in tables:
        out.extend(application_checks(tables["applications"]))
    if "review_litigation" in tables:
        out.extend(review_checks(tables["review_litigation"]))
    return out
