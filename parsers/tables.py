"""Tokens of a part → the canonical table, cell by cell.

Each function returns (table or None, problems). A table is None only when
none of its rows was found; everything uncertain is named in the problems.
"""

from __future__ import annotations

import re
from itertools import product

from parsers import keys, specs
from parsers.cells import is_blank, make_cell, unit_in
from parsers.glued import consistent_readings, split_chunks
from parsers.layouts import GLUED_PREFIX, Tokens
from parsers.rows import FoundRow, find_rows, is_value_token
from parsers.text import label_key

MAX_COMBINATIONS = 100_000


def _fit(values: list[str], n: int) -> tuple[list[str], str | None]:
    """Trim layout padding (blank cells beyond the row's width) and report misfits."""
    values = list(values)
    while len(values) > n and is_blank(values[-1]):
        values.pop()
    while len(values) > n and is_blank(values[0]):
        values.pop(0)
    if len(values) == n:
        return values, None
    if len(values) > n:
        return values[:n], f"{len(values)} values for {n} columns, kept the first {n}"
    return values + [""] * (n - len(values)), f"{len(values)} values for {n} columns, filled left to right"


def _glued_chunks(values: list[str]) -> list[str] | None:
    if not any(v.startswith(GLUED_PREFIX) for v in values):
        return None
    chunks = []
    for v in values:
        chunks.extend(split_chunks(v.removeprefix(GLUED_PREFIX)))
    return chunks


def _row_total_ok(v: list[float]) -> bool:
    return abs(v[6] - sum(v[:6])) < 1e-9


def _review_ok(v: list[float]) -> bool:
    return all(abs(v[g * 5 + 4] - sum(v[g * 5 : g * 5 + 4])) < 1e-9 for g in range(3))


def _cells(raws: list[str], columns: tuple[str, ...], unit: str | None = None) -> dict:
    return {col: make_cell(raw, unit) for col, raw in zip(columns, raws, strict=True)}


def _uncertain_cells(chunks: list[str], columns: tuple[str, ...]) -> dict:
    """No certain reading: keep what was printed (the glued digits), value null."""
    raw = " ".join(chunks)
    return {col: {"value": None, "raw": raw} for col in columns}


def _tokens_key(tokens: Tokens) -> str:
    return label_key("".join(c for row in tokens.rows for c in row if not is_value_token(c)))


def _placed(row: FoundRow, table: str, problems: list[str]) -> bool:
    """Name rows recognised by position only, and values that have no row."""
    label = row.label.strip()[:40]
    if not row.key:
        problems.append(f"{table}: values under the unrecognised label {label!r} were not placed")
        return False
    if row.by_position:
        problems.append(f"{table}.{row.key}: label {label!r} not recognised; row placed by its position")
    return True


# --- Part 2 --------------------------------------------------------------------------


def active_disclosure(tokens: Tokens, fmt_hint: str | None) -> tuple[dict | None, str | None, list[str]]:
    """(table, template version seen in its headers, problems)."""
    fmt = specs.active_format(_tokens_key(tokens)) or fmt_hint
    if fmt not in ("2019", "2021"):
        return None, None, ["active_disclosure: template version not recognised"]
    table, problems = {}, []
    for row in find_rows(tokens, specs.active_specs(fmt)):
        if not _placed(row, "active_disclosure", problems):
            continue
        columns = keys.active_columns(fmt, row.key)
        unit = unit_in(row.label) if row.key in ("fees", "procurement") else None
        chunks = _glued_chunks(row.values)
        if chunks is not None:
            found = consistent_readings(chunks, len(columns), None)
            if len(found) == 1:
                table[row.key] = _cells(found[0], columns, unit)
            else:
                table[row.key] = _uncertain_cells(chunks, columns)
                problems.append(
                    f"active_disclosure.{row.key}: glued digits {' '.join(chunks)!r} have {len(found)} readings; values left null"
                )
            continue
        raws, misfit = _fit(row.values, len(columns))
        if misfit:
            problems.append(f"active_disclosure.{row.key}: {misfit}")
        # a money column: only the amount takes the header's unit
        table[row.key] = {
            col: make_cell(raw, unit if col == "amount" else None) for col, raw in zip(columns, raws, strict=True)
        }
    return (table or None), fmt, problems


# --- Part 3 --------------------------------------------------------------------------


def applications(tokens: Tokens) -> tuple[dict | None, str, list[str]]:
    fmt = specs.applications_format(_tokens_key(tokens))
    columns = keys.APPLICATION_COLUMNS
    table: dict = {}
    problems: list[str] = []
    ambiguous: dict[str, list[list[str]]] = {}
    found_rows: list[FoundRow] = find_rows(tokens, specs.application_specs(fmt))
    for row in found_rows:
        if not _placed(row, "applications", problems):
            continue
        chunks = _glued_chunks(row.values)
        if chunks is None:
            raws, misfit = _fit(row.values, len(columns))
            if misfit:
                problems.append(f"applications.{row.key}: {misfit}")
            table[row.key] = _cells(raws, columns)
            continue
        found = consistent_readings(chunks, len(columns), _row_total_ok)
        if len(found) == 1:
            table[row.key] = _cells(found[0], columns)
        elif not found:
            table[row.key] = _uncertain_cells(chunks, columns)
            problems.append(
                f"applications.{row.key}: no reading of glued digits {' '.join(chunks)!r} has total = sum of parts; values left null"
            )
        else:
            ambiguous[row.key] = found
            table[row.key] = _uncertain_cells(chunks, columns)
    if ambiguous:
        problems.extend(_resolve_by_columns(table, ambiguous))
    return (table or None), fmt, problems


def _resolve_by_columns(table: dict, ambiguous: dict[str, list[list[str]]]) -> list[str]:
    """Pick the one combination of readings for which every column check holds."""
    from parsers.checks import application_column_checks_pass

    keys_ = list(ambiguous)
    count = 1
    for k in keys_:
        count *= len(ambiguous[k])
    if count > MAX_COMBINATIONS:
        return [f"applications.{k}: glued digits have {len(ambiguous[k])} readings; values left null" for k in keys_]
    passing = []
    for combo in product(*(ambiguous[k] for k in keys_)):
        trial = dict(table)
        for k, reading in zip(keys_, combo, strict=True):
            trial[k] = _cells(reading, keys.APPLICATION_COLUMNS)
        if application_column_checks_pass(trial):
            passing.append(combo)
            if len(passing) > 1:
                break
    if len(passing) == 1:
        for k, reading in zip(keys_, passing[0], strict=True):
            table[k] = _cells(reading, keys.APPLICATION_COLUMNS)
        return []
    why = "several readings pass every column check" if passing else "no reading passes the column checks"
    return [f"applications.{k}: glued digits have {len(ambiguous[k])} readings and {why}; values left null" for k in keys_]


# --- Part 4 --------------------------------------------------------------------------


# Some reports print part 4 as three rows (行政复议 / 未经复议直接起诉 / 复议后起诉)
# of five outcomes each instead of one row of 15.
_REVIEW_GROUP_ROWS = (
    ("review", re.compile(r"^行政复议$|^复议$")),
    ("suit_direct", re.compile(r"未经复议|直接起诉")),
    ("suit_after_review", re.compile(r"复议后")),
)


def _review_by_group_rows(cells: list[str]) -> dict | None:
    found = {}
    for i, cell in enumerate(cells):
        if is_value_token(cell):
            continue
        five = cells[i + 1 : i + 6]
        if len(five) < 5 or not all(is_value_token(c) and not c.startswith(GLUED_PREFIX) for c in five):
            continue
        key = label_key(cell)
        for group, pattern in _REVIEW_GROUP_ROWS:
            if group not in found and pattern.search(key):
                found[group] = five
                break
    if len(found) < len(_REVIEW_GROUP_ROWS):
        return None
    raws = [raw for group, _ in _REVIEW_GROUP_ROWS for raw in found[group]]
    return _cells(raws, keys.REVIEW_COLUMNS)


def review_litigation(tokens: Tokens) -> tuple[dict | None, list[str]]:
    cells = [c for row in tokens.rows for c in row]
    by_groups = _review_by_group_rows(cells)
    if by_groups:
        return by_groups, []
    last_text = max((i for i, c in enumerate(cells) if not is_value_token(c)), default=-1)
    values = cells[last_text + 1 :]
    columns = keys.REVIEW_COLUMNS
    if not values or last_text < 0:
        return None, ["review_litigation: no row of 15 counts found"]
    chunks = _glued_chunks(values)
    if chunks is not None:
        found = consistent_readings(chunks, len(columns), _review_ok)
        if len(found) == 1:
            return _cells(found[0], columns), []
        return _uncertain_cells(chunks, columns), [
            f"review_litigation: glued digits {' '.join(chunks)!r} have {len(found)} consistent readings; values left null"
        ]
    raws, misfit = _fit(values, len(columns))
    return _cells(raws, columns), ([f"review_litigation: {misfit}"] if misfit else [])
