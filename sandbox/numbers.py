"""Ground-truth numbers of a report's three tables, and the 勾稽 checks on them.

A table here is what the record holds: `{row: {col: cell}}` (part 4: `{col: cell}`)
with cells `{"value": int | float | None, "raw": str}` (+ `"unit"` where one is
printed). The renderers print `raw`; the record keeps both. Most reports balance;
some carry a deliberate slip (as published reports do) so the checks fail, and
some leave zero cells blank (`&nbsp;`), which are null and make checks not_checkable.
"""

from __future__ import annotations

import random

from parsers import keys

# How big a body's numbers are, by level.
_SCALE = {"province": 40, "city": 20, "county": 6, "department": 4, "zone": 3, "township": 2}
_APPLICANTS = keys.APPLICATION_COLUMNS[:-1]  # the six applicant columns; "total" is their sum
# Share of applications per applicant type: natural persons file most.
_APPLICANT_WEIGHT = {"natural_person": 1.0, "commercial": 0.25, "research": 0.03,
                     "social_welfare": 0.03, "legal_service": 0.08, "other_org": 0.1}
# How often a handled outcome occurs relative to 予以公开.
_OUTCOME_WEIGHT = {"granted": 1.0, "partially_granted": 0.15, "unable_not_held": 0.5,
                   "denied_process_info": 0.05, "denied_third_party": 0.04,
                   "rejected_petition": 0.1, "rejected_duplicate": 0.08, "other": 0.05,
                   "other_no_correction": 0.04, "other_other": 0.03}


def cell(value: int | float | None, raw: str | None = None, unit: str | None = None) -> dict:
    if raw is None:
        raw = "" if value is None else str(value)
    c = {"value": value, "raw": raw}
    if unit:
        c["unit"] = unit
    return c


def _count(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    # Many zeros, occasionally a burst: the shape real tables have.
    return int(rng.expovariate(1 / mean)) if rng.random() < min(0.9, 0.3 + mean / 4) else 0


def application_counts(rng: random.Random, fmt: str, level: str) -> dict[str, dict[str, int]]:
    """Balanced integer counts: rows x the seven columns, every rule holds."""
    scale = _SCALE[level]
    rows = keys.row_keys("applications", fmt)
    handled = [r for r in rows if r not in ("new_received", "carried_over", "handled_total", "carried_forward")]
    table: dict[str, dict[str, int]] = {r: {} for r in rows}
    for col in _APPLICANTS:
        w = _APPLICANT_WEIGHT[col]
        for r in handled:
            table[r][col] = _count(rng, scale * w * _OUTCOME_WEIGHT.get(r, 0.01))
        done = sum(table[r][col] for r in handled)
        carried_over = min(done, _count(rng, scale * w * 0.05))
        carried_forward = _count(rng, scale * w * 0.05)
        table["handled_total"][col] = done
        table["carried_over"][col] = carried_over
        table["carried_forward"][col] = carried_forward
        table["new_received"][col] = done + carried_forward - carried_over
    for r in rows:
        table[r]["total"] = sum(table[r][c] for c in _APPLICANTS)
    return table


def active_disclosure(rng: random.Random, fmt: str, level: str, money_style: str) -> dict:
    scale = _SCALE[level]
    t: dict[str, dict[str, dict]] = {}
    rules_allowed = level == "province"  # only provinces (and big cities) make 规章
    if fmt == "2021":
        for row in ("rules", "normative_documents"):
            issued = rng.randint(0, scale // 4) if (row != "rules" or rules_allowed) else 0
            repealed = rng.randint(0, max(issued, 1) // 2) if issued else 0
            in_force = issued + rng.randint(0, scale * 3) if issued or row != "rules" else 0
            t[row] = {"issued": cell(issued), "repealed": cell(repealed), "in_force": cell(in_force)}
        for row in ("licensing", "penalty", "coercion"):
            t[row] = {"decisions": cell(rng.randint(0, scale * 60))}
        t["fees"] = {"amount": _money(rng, scale, "万元", "label")}
        return t
    for row in ("rules", "normative_documents"):
        made = rng.randint(0, scale // 3) if (row != "rules" or rules_allowed) else 0
        t[row] = {"new_made": cell(made), "new_published": cell(made),
                  "total_published": cell(made + rng.randint(0, scale * 2))}
    for row in ("licensing", "other_services", "penalty", "coercion"):
        prev = rng.randint(0, scale * 5)
        change = rng.randint(-prev // 4, scale) if prev else rng.randint(0, scale)
        t[row] = {"prev_year": cell(prev), "change": _signed(change),
                  "decisions": cell(rng.randint(0, scale * 50))}
    prev = rng.randint(0, 20)
    t["fees"] = {"prev_year": cell(prev), "change": _signed(rng.randint(-min(prev, 3), 2))}
    t["procurement"] = {"projects": cell(rng.randint(0, scale * 30)),
                        "amount": _money(rng, scale, "万元", money_style)}
    return t


def _signed(n: int) -> dict:
    # Real tables print increases with a plus sign: "+11", "-2", "0".
    return cell(n, f"+{n}" if n > 0 else str(n))


def _money(rng: random.Random, scale: int, unit: str, style: str) -> dict:
    """A money cell. style: "label" (unit only in the column label), "suffix"
    ("25829.67 (万元)"), "yuan" (converted to 元 and glued: "251000元"), "plain"."""
    wan = round(rng.uniform(0, scale * 800), 2)
    if style == "label":
        return cell(wan, f"{wan:.2f}", unit)
    if style == "suffix":
        return cell(wan, f"{wan:.2f} (万元)", "万元")
    if style == "yuan":
        yuan = int(round(wan * 10000))
        return cell(yuan, f"{yuan}元", "元")
    return cell(wan, f"{wan:.2f}")


def review_counts(rng: random.Random, level: str) -> dict[str, int]:
    scale = _SCALE[level]
    out: dict[str, int] = {}
    for g in keys.REVIEW_GROUPS:
        parts = [_count(rng, scale * 0.05) for _ in range(4)]
        for o, n in zip(keys.OUTCOMES[:4], parts, strict=True):
            out[f"{g}_{o}"] = n
        out[f"{g}_total"] = sum(parts)
    return out


def to_cells(counts: dict, blank: set[tuple[str, str]] | None = None) -> dict:
    """Counts → record cells; (row, col) pairs in `blank` print empty and are null."""
    blank = blank or set()
    return {r: {c: cell(None) if (r, c) in blank else cell(v) for c, v in cols.items()}
            for r, cols in counts.items()}


# --- checks (docs/record.md) -----------------------------------------------------------

def _check(rule, table, column, left, right, detail) -> dict:
    if left is None or right is None:
        status = "not_checkable"
    else:
        status = "passed" if abs(left - right) < 1e-9 else "failed"
    return {"rule": rule, "table": table, "column": column, "status": status,
            "left": left, "right": right, "detail": detail}


def _sum(values):
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def checks(tables: dict) -> list[dict]:
    out = []
    apps = tables.get("applications")
    if apps:
        def v(r, c):
            return apps.get(r, {}).get(c, {}).get("value")
        handled = [r for r in apps if r in keys.HANDLED_ROW_KEYS]
        for col in keys.APPLICATION_COLUMNS:
            out.append(_check("balance", "applications", col,
                              _sum([v("new_received", col), v("carried_over", col)]),
                              _sum([v("handled_total", col), v("carried_forward", col)]),
                              "new_received + carried_over = handled_total + carried_forward"))
        for col in keys.APPLICATION_COLUMNS:
            out.append(_check("handled_sum", "applications", col, v("handled_total", col),
                              _sum(v(r, col) for r in handled), "handled_total = sum of handled rows"))
        for row in apps:
            out.append(_check("row_total", "applications", row, v(row, "total"),
                              _sum(v(row, c) for c in _APPLICANTS), "total = sum of the six applicant columns"))
    review = tables.get("review_litigation")
    if review:
        for g in keys.REVIEW_GROUPS:
            out.append(_check("review_total", "review_litigation", f"{g}_total",
                              review[f"{g}_total"]["value"],
                              _sum(review[f"{g}_{o}"]["value"] for o in keys.OUTCOMES[:4]),
                              f"{g}_total = sum of its four outcomes"))
    return out
