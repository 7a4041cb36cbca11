"""OCR'd cells: confirmed by the checks (勾稽关系), or left null and named.

A cell read by OCR carries the engine's confidence. A reading is kept when it
is confident, or when a check confirms it; a doubtful reading is replaced by
the one close alternative (a digit the engine confuses: 0/8, 1/7, 5/6 …) that
makes every check it takes part in hold, when exactly one does. Anything else
is kept as printed (`raw`) with value null and named in the problems: an
uncertain number is never passed off as a certain one.

A check decides a cell only when every other cell it adds up is already
settled; cells are settled one by one until nothing more can be decided.
"""

from __future__ import annotations

import re

from parsers import checks
from parsers.cells import parse_number

CONFIDENT = 0.95  # below this a reading needs a check to confirm it
# above this a reading stands even against a failing check (published tables have slips)
SURE = 0.99
CONFUSABLE = {"0": "689", "1": "74", "2": "7", "3": "85", "4": "1", "5": "63", "6": "508",
              "7": "12", "8": "0639", "9": "80"}

Ref = tuple[str, str, str]  # (table, row, column); review_litigation rows are ""


def _cells(tables: dict) -> dict[Ref, dict]:
    out = {}
    for table, rows in tables.items():
        for row, cells in rows.items():
            if "raw" in cells:
                out[(table, "", row)] = cells
            else:
                for col, cell in cells.items():
                    out[(table, row, col)] = cell
    return out


_MISFIT = re.compile(r"^(applications|active_disclosure|review_litigation)(?:\.(\w+))?: \d+ values for \d+ columns")


def _misfit_rows(problems: list[str]) -> set[tuple[str, str]]:
    """Rows whose cells did not fit the template's columns: where each value sits is a guess."""
    return {(m[1], m[2] or "") for p in problems if (m := _MISFIT.match(p))}


def alternatives(raw: str) -> list[int | float]:
    """Values one confusable digit away from the printed one."""
    out = []
    for i, ch in enumerate(raw):
        for other in CONFUSABLE.get(ch, ""):
            value, _ = parse_number(raw[:i] + other + raw[i + 1 :])
            if value is not None:
                out.append(value)
    return out


def settle(record: dict) -> None:
    tables, problems = record["tables"], record["problems"]
    cells = _cells(tables)
    read = {ref: c for ref, c in cells.items() if "confidence" in c}
    if not read:
        return
    doubtful = {ref for ref, c in read.items() if c["raw"] and (c["value"] is None or c["confidence"] < CONFIDENT)}
    # a row whose cells did not fit the columns: which value sits where is a guess,
    # and no check can tell a shifted 0 from a blank cell
    misfit = _misfit_rows(problems)
    misplaced = {ref for ref, cell in cells.items() if ref[:2] in misfit and (ref in read or cell["raw"] == "")}
    read.update({ref: cells[ref] for ref in misplaced})
    for ref in sorted(misplaced):
        cell = read[ref]
        problems.append(f"{'.'.join(p for p in ref if p)}: OCR read {cell['raw']!r} in a row whose cells do not "
                        "fit the columns; value left null")
        cell["value"] = None
    doubtful -= misplaced
    raw_value = {ref: read[ref]["value"] for ref in doubtful}
    for ref in doubtful:
        read[ref]["value"] = None
    all_checks = checks.run_checks(tables)
    involved: dict[Ref, list[tuple[dict, list[Ref]]]] = {}
    for check in all_checks:
        refs = checks.check_cells(check, tables)
        for ref in refs:
            involved.setdefault(ref, []).append((check, refs))
    confirmed = _settle_doubtful(cells, doubtful, raw_value, involved)
    for ref in sorted(doubtful):
        cell = cells[ref]
        where = ".".join(p for p in ref if p)
        if ref in confirmed:
            value, how = confirmed[ref]
            cell["value"] = value
            if how != "read":
                problems.append(f"{where}: OCR read {cell['raw']!r} (confidence {cell['confidence']}); "
                                f"{value} is the one close reading the checks confirm")
        else:
            problems.append(f"{where}: OCR read {cell['raw']!r} (confidence {cell['confidence']}), "
                            "not confirmed by the checks; value left null")
    _suspect_confident(cells, read, doubtful, involved, problems)


def _known(cell: dict | None) -> int | float | None:
    """A settled value; a blank printed cell counts as 0 for confirming readings
    (a check that holds with it so shows the readings consistent)."""
    if cell is None:
        return None
    if cell["value"] is None and cell["raw"] == "":
        return 0
    return cell["value"]


def _holds(refs: list[Ref], check: dict, cells: dict[Ref, dict], trial: dict[Ref, float]) -> bool | None:
    """Does the check hold with these values? None when a cell is still unknown."""
    values = []
    for ref in refs:
        v = trial[ref] if ref in trial else _known(cells.get(ref))
        if v is None:
            return None
        values.append(v)
    if check["rule"] == "balance":  # new_received + carried_over = handled_total + carried_forward
        return abs(values[0] + values[1] - values[2] - values[3]) < checks.TOLERANCE
    if check["rule"] == "handled_sum":  # handled_total = sum of the handled rows
        return abs(values[0] - sum(values[1:])) < checks.TOLERANCE
    return abs(values[-1] - sum(values[:-1])) < checks.TOLERANCE  # row_total, review_total: last = sum


def _settle_doubtful(cells, doubtful, raw_value, involved) -> dict[Ref, tuple[float, str]]:
    confirmed: dict[Ref, tuple[float, str]] = {}

    def settle_one(ref: Ref, value, how: str) -> None:
        confirmed[ref] = (value, how)
        cells[ref]["value"] = value

    progress = True
    while progress:
        progress = False
        # one unknown in a check: the check decides among its close readings
        for ref in sorted(doubtful - set(confirmed)):
            candidates = ([raw_value[ref]] if raw_value[ref] is not None else []) + alternatives(cells[ref]["raw"])
            deciding = [(c, refs) for c, refs in involved.get(ref, [])
                        if all(r == ref or _known(cells.get(r)) is not None for r in refs)]
            if not deciding:
                continue
            passing = [v for v in dict.fromkeys(candidates)
                       if all(_holds(refs, c, cells, {ref: v}) for c, refs in deciding)]
            if len(passing) == 1:
                settle_one(ref, passing[0], "read" if passing[0] == raw_value[ref] else "alternative")
                progress = True
        if progress:
            continue
        # several unknowns in a check: it confirms them together when it holds with what was read
        for check, refs in {id(c): (c, refs) for pairs in involved.values() for c, refs in pairs}.values():
            unknown = [r for r in refs if _known(cells.get(r)) is None]
            if not unknown or any(r not in doubtful or raw_value[r] is None for r in unknown):
                continue
            trial = {r: raw_value[r] for r in unknown}
            # ... and no other check these readings take part in says otherwise
            if _holds(refs, check, cells, trial) and all(
                    _holds(other, c, cells, trial) is not False for r in unknown for c, other in involved.get(r, [])):
                for r in unknown:
                    settle_one(r, raw_value[r], "read")
                progress = True
    return confirmed


def _suspect_confident(cells, read, doubtful, involved, problems) -> None:
    """A confident reading in a failing check whose one close alternative would
    make all its checks hold is not trusted either (unless the engine is sure)."""
    for ref, cell in sorted(read.items()):
        if ref in doubtful or cell["value"] is None or cell["confidence"] >= SURE:
            continue
        own = involved.get(ref, [])
        if not own or all(_holds(refs, c, cells, {}) is not False for c, refs in own):
            continue
        fixes = [v for v in dict.fromkeys(alternatives(cell["raw"]))
                 if all(_holds(refs, c, cells, {ref: v}) for c, refs in own)]
        if fixes:
            where = ".".join(p for p in ref if p)
            problems.append(f"{where}: OCR read {cell['raw']!r} (confidence {cell['confidence']}) but the checks "
                            f"fail and {fixes[0]} would make them hold; value left null")
            cell["value"] = None
