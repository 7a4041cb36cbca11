"""The province page's data: coverage of the governments that must publish (archive/coverage.py)
against report years, counts per city, the other bodies found listed under their region,
and the yearly sums the charts draw. Read through Datasette's `db.execute` (async)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from . import coverage
from . import labels as L
from .pages import rows

GOVERNMENT_LEVELS = ("province", "city", "county")
STATES = tuple(L.COVERAGE)


async def province_view(db, code: str, today: date | None = None) -> dict:
    today = today or date.today()
    name = coverage.province_name(code)
    governments = [g for g in coverage.governments() if g["province_code"] == code]
    # the province column is indexed with the year (reports_province_year)
    reports = await rows(db, "SELECT id, body_id, year, level, organization, published, deadline, days_late,"
                             " city, county FROM reports WHERE province = ?", [name])
    found = [r["year"] for r in reports]
    last = today.year - 1
    first = max(coverage.FIRST_COVERED_YEAR, min(found) if found else coverage.latest_complete_year(today) - 2)
    years = list(range(first, last + 1))
    best: dict[tuple[str, str, int], dict] = {}
    for r in reports:
        if r["level"] not in GOVERNMENT_LEVELS:
            continue
        key = (r["id"][:6], r["level"], r["year"])
        if key not in best or _better(r, best[key]):
            best[key] = r
    grid, per_city = [], {}
    totals = Counter()
    for g in governments:
        cells = []
        for y in years:
            r = best.get((g["code6"], g["level"], y))
            state = coverage.status(r, y, today)
            totals[state] += 1
            city_key = g["city"] or (name if g["level"] == "province" else f"{name}（省直辖）")
            per_city.setdefault(city_key, Counter())[state] += 1
            cells.append({"year": y, "state": state, "report": r})
        grid.append({**g, "cells": cells})
    others = await rows(db, "SELECT b.id, b.name, b.level, b.city, b.county, group_concat(r.year || ':' || r.id)"
                            " AS years FROM bodies b JOIN reports r ON r.body_id = b.id"
                            " WHERE b.province = ? AND (b.level IS NULL OR b.level NOT IN ('province', 'city',"
                            " 'county')) GROUP BY b.id ORDER BY b.city, b.county, b.level, b.name", [name])
    listed: dict[str, list] = {}
    for b in others:
        b["reports"] = sorted((int(y), rid) for y, rid in (p.split(":", 1) for p in b["years"].split(",")))
        b["level_zh"] = L.zh("level", b["level"]) or "未知 unknown"
        where = " ".join(p for p in (b["city"] if b["city"] != name else None, b["county"]) if p) or name
        listed.setdefault(where, []).append(b)
    outcomes = await rows(db, "SELECT * FROM province_year_outcomes WHERE province_code = ? ORDER BY year", [code])
    review = await review_sums(db, name)
    return {
        "code": code, "name": name, "years": years, "grid": grid,
        "per_city": [{"city": c, **{s: n[s] for s in STATES}, "total": sum(n.values())}
                     for c, n in per_city.items()],
        "totals": {s: totals[s] for s in STATES},
        "states": STATES, "listed": listed, "outcomes": outcomes, "review": review,
        "latest_complete_year": coverage.latest_complete_year(today),
    }


def _better(a: dict, b: dict) -> bool:
    """Two reports of one government and year (two spellings of its name): the one on time."""
    def rank(r):
        return (r["days_late"] is None, r["days_late"] or 0, r["id"])

    return rank(a) < rank(b)


async def review_sums(db, province: str) -> dict[str, list[dict]]:
    """Per year, the sums of the review/litigation outcomes of the province's reports:
    {group: [{year, upheld, corrected, other, pending}]}, group = review, suit_direct,
    suit_after_review."""
    found = await rows(db, "SELECT r.year, c.column_key, sum(c.value) AS n FROM reports r"
                           " JOIN cells c ON c.report_id = r.id AND c.table_name = 'review_litigation'"
                           " WHERE r.province = ? GROUP BY r.year, c.column_key ORDER BY r.year", [province])
    out: dict[str, dict[int, dict]] = {}
    for f in found:
        group, outcome = f["column_key"].rsplit("_", 1)
        if outcome == "total":
            continue
        out.setdefault(group, {}).setdefault(f["year"], {"year": f["year"]})[outcome] = f["n"]
    return {g: [dict({"upheld": 0, "corrected": 0, "other": 0, "pending": 0}, **v) for _y, v in sorted(by.items())]
            for g, by in out.items()}
