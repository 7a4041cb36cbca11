"""Derived rows that depend on more than one report, refreshed inside save_report's
transaction: cross-year checks, each report's check summary, and the
per-province-per-year outcome totals."""

from __future__ import annotations

import sqlite3

from parsers import keys

from . import permalinks as pl
from .rows import OUTCOME_GROUPS, REVIEW_SUMS, check_status

CROSS_YEAR_RULE = "carried_over_last_year"  # this year's 上年结转 = last year's 结转下年度


def _cells(conn: sqlite3.Connection, report: str, row: str) -> dict[str, object]:
    return dict(
        conn.execute(
            "SELECT column_key, value FROM cells WHERE report_id = ? AND table_name = 'applications' AND row_key = ?",
            (report, row),
        ).fetchall()
    )


def _cross_year(conn: sqlite3.Connection, this: str, last: str | None) -> None:
    conn.execute("DELETE FROM checks WHERE report_id = ? AND rule = ?", (this, CROSS_YEAR_RULE))
    if last is None:
        return
    now, before = _cells(conn, this, "carried_over"), _cells(conn, last, "carried_forward")
    for col in keys.APPLICATION_COLUMNS:
        if col not in now and col not in before:
            continue
        left, right = now.get(col), before.get(col)
        status = (
            "not_checkable" if left is None or right is None else ("passed" if left == right else "failed")
        )
        conn.execute(
            "INSERT INTO checks (id, report_id, rule, table_name, column_key, status, left_value, right_value, detail)"
            " VALUES (?, ?, ?, 'applications', ?, ?, ?, ?, ?)",
            (
                pl.check_id(this, CROSS_YEAR_RULE, "applications", col),
                this,
                CROSS_YEAR_RULE,
                col,
                status,
                left,
                right,
                f"carried_over = carried_forward of {last}",
            ),
        )


def refresh_summary(conn: sqlite3.Connection, report: str) -> None:
    counts = dict(
        conn.execute("SELECT status, count(*) FROM checks WHERE report_id = ? GROUP BY status", (report,))
    )
    p, f, n = counts.get("passed", 0), counts.get("failed", 0), counts.get("not_checkable", 0)
    conn.execute(
        "UPDATE reports SET checks_passed = ?, checks_failed = ?, checks_not_checkable = ?, check_status = ?"
        " WHERE id = ?",
        (p, f, n, check_status(p, f, n), report),
    )


def refresh_body_year(conn: sqlite3.Connection, body: str, year: int) -> None:
    """Cross-year checks of this report (against last year) and of next year's (against this)."""
    ids = {y: pl.report_id(body, y) for y in (year - 1, year, year + 1)}
    exists = {
        y: conn.execute("SELECT 1 FROM reports WHERE id = ?", (rid,)).fetchone() is not None
        for y, rid in ids.items()
    }
    _cross_year(conn, ids[year], ids[year - 1] if exists[year - 1] else None)
    refresh_summary(conn, ids[year])
    if exists[year + 1]:
        _cross_year(conn, ids[year + 1], ids[year])
        refresh_summary(conn, ids[year + 1])


def refresh_province_year(conn: sqlite3.Connection, province_code: str | None, year: int) -> None:
    if province_code is None:
        return
    groups = list(OUTCOME_GROUPS) + list(REVIEW_SUMS)
    row = conn.execute(
        f"SELECT max(province), count(*), {', '.join(f'sum({g})' for g in groups)} FROM report_outcomes"
        " WHERE province_code = ? AND year = ?",
        (province_code, year),
    ).fetchone()
    key = f"{province_code}-{year}"
    conn.execute("DELETE FROM province_year_outcomes WHERE id = ?", (key,))
    if row[1]:
        conn.execute(
            f"INSERT INTO province_year_outcomes (id, province_code, province, year, reports, {', '.join(groups)})"
            f" VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(groups))})",
            (key, province_code, row[0], year, row[1], *row[2:]),
        )
