"""The province page's data: coverage of the governments that must publish (archive/coverage.py)
against report years, counts per city, the other bodies found listed under their region,
and the yearly sums the charts draw. Read through Datasette's `db.execute` (async)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from parsers import keys

from . import coverage
from . import labels as L
from .pages import rows

GOVERNMENT_LEVELS = ("province", "city", "county")
STATES = tuple(L.COVERAGE)


async def province_view(db, code: str, today: date | None = None) -> dict:
    today = today or date.today()
    name = coverage.province_name(code)
    governments = [g for g in coverage.governments() if g["province_code"] == code]
    # governments' reports only, from the (province, level) index
    reports = await rows(db, "SELECT id, body_id, year, level, organization, published, deadline, days_late,"
                             " city, county FROM reports WHERE province = ? AND level IN ('province', 'city',"
                             " 'county')", [name])
    first_year = (await rows(db, "SELECT min(year) AS y FROM reports WHERE province = ?", [name]))[0]["y"]
    found = [r["year"] for r in reports] + ([first_year] if first_year else [])
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
    listed, counted = await other_bodies(db, name)
    outcomes = await rows(db, "SELECT * FROM province_year_outcomes WHERE province_code = ? ORDER BY year", [code])
    review = await review_sums(db, code)
    return {
        "code": code, "name": name, "years": years, "grid": grid,
        "per_city": [{"city": c, **{s: n[s] for s in STATES}, "total": sum(n.values())}
                     for c, n in per_city.items()],
        "totals": {s: totals[s] for s in STATES},
        "states": STATES, "listed": listed, "counted": counted, "outcomes": outcomes, "review": review,
        "latest_complete_year": coverage.latest_complete_year(today),
    }


LIST_LIMIT = 300  # more bodies than this: counts per region and level, linked to the bodies table


async def other_bodies(db, province: str) -> tuple[dict[str, list], list[dict]]:
    """The departments, zones and townships found, under their region: listed with their
    years when there are few; else counted per region and level (a page of 10,000 names
    helps nobody), each count linking to the bodies table filtered to them. A body
    printed in several spellings (bodies.canonical_id) is one body here: one entry, its
    other spellings named beside it, one count."""
    where = ("FROM bodies b WHERE b.province = ? AND (b.level IS NULL OR b.level NOT IN"
             " ('province', 'city', 'county'))")
    group = "coalesce(b.canonical_id, b.id)"
    n = (await rows(db, f"SELECT count(DISTINCT {group}) AS n {where}", [province]))[0]["n"]
    if n > LIST_LIMIT:
        counted = await rows(db, f"SELECT b.city, b.county, b.level, count(DISTINCT {group}) AS n {where}"
                                 " GROUP BY b.city, b.county, b.level ORDER BY b.city, b.county, b.level", [province])
        for c in counted:
            c["level_zh"] = L.zh("level", c["level"]) or "未知 unknown"
        return {}, counted
    found = await rows(db, f"SELECT b.id, b.name, {group} AS canonical, b.level, b.city, b.county,"
                           " group_concat(r.year || ':' || r.id) AS years"
                           f" {where.replace('FROM bodies b', 'FROM bodies b JOIN reports r ON r.body_id = b.id')}"
                           " GROUP BY b.id ORDER BY b.city, b.county, b.level, b.name", [province])
    spelled: dict[str, list[dict]] = {}
    for b in found:
        b["reports"] = sorted((int(y), rid) for y, rid in (p.split(":", 1) for p in b["years"].split(",")))
        spelled.setdefault(b["canonical"], []).append(b)
    listed: dict[str, list] = {}
    for b in found:
        group_ = spelled.get(b["canonical"])
        if not group_:
            continue  # listed with its first spelling
        del spelled[b["canonical"]]
        # the canonical spelling names the entry when it was printed, else the most used one
        first = min(group_, key=lambda s: (s["id"] != s["canonical"], -len(s["reports"]), s["id"]))
        entry = {**first, "reports": sorted(r for s in group_ for r in s["reports"]),
                 "spellings": [{"id": s["id"], "name": s["name"]} for s in group_ if s is not first],
                 "level_zh": L.zh("level", first["level"]) or "未知 unknown"}
        where_ = " ".join(p for p in (b["city"] if b["city"] != province else None, b["county"]) if p) or province
        listed.setdefault(where_, []).append(entry)
    return listed, []


def _better(a: dict, b: dict) -> bool:
    """Two reports of one government and year (two spellings of its name): the one on time."""
    def rank(r):
        return (r["days_late"] is None, r["days_late"] or 0, r["id"])

    return rank(a) < rank(b)


async def review_sums(db, code: str) -> dict[str, list[dict]]:
    """Per year, the province's sums of the review/litigation outcomes (stored in
    province_year_outcomes, migration 14): {group: [{year, upheld, corrected, other,
    pending}]}, group = review, suit_direct, suit_after_review."""
    cols = [f"{g}_{o}" for g in keys.REVIEW_GROUPS for o in keys.OUTCOMES[:-1]]
    found = await rows(db, f"SELECT year, {', '.join(cols)} FROM province_year_outcomes"
                           " WHERE province_code = ? ORDER BY year", [code])
    out: dict[str, list[dict]] = {}
    for f in found:
        if all(f[c] is None for c in cols):
            continue
        for g in keys.REVIEW_GROUPS:
            out.setdefault(g, []).append({"year": f["year"], **{o: f[f"{g}_{o}"] or 0 for o in keys.OUTCOMES[:-1]}})
    return out
