"""Find the rows of a table in a token stream by their labels.

Walks the cells in reading order. Text cells build up a label; the label is
matched against the row specs of the table (regexes on the normalised label,
tried only for rows after the last one found, so a column header such as 总计
never passes for the (七)总计 row); value cells after a matched label are that
row's values. Works the same on a true grid (rows known) and on a stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from parsers.cells import is_blank, is_value_cell
from parsers.layouts import GLUED_PREFIX, Tokens
from parsers.text import label_key


@dataclass(frozen=True)
class RowSpec:
    key: str
    pattern: re.Pattern
    ncols: int
    # the row is only recognised right after one of these rows (None: anywhere)
    after: frozenset[str] | None = None


@dataclass
class FoundRow:
    key: str  # "" for values under a label that matched no row (see _place_by_position)
    label: str
    values: list[str] = field(default_factory=list)
    index: int = -1  # position of the row in the specs
    by_position: bool = False


def _is_value_token(cell: str) -> bool:
    return cell.startswith(GLUED_PREFIX) or is_value_cell(cell)


_is_short_value_token = lru_cache(maxsize=1 << 14)(_is_value_token)


def is_value_token(cell: str) -> bool:
    # called for every cell, several times a report; cells repeat ("0", labels)
    return _is_short_value_token(cell) if len(cell) < 64 else _is_value_token(cell)


# Label buffers repeat across reports ("(一)予以公开"), and spec lists are built
# once per template version (specs.py caches them): remember each verdict.
_MATCHES: dict[tuple, int | None] = {}
_MAX_MATCHES = 1 << 16


def _match(buffer: str, specs: tuple[RowSpec, ...], start: int, last_key: str | None) -> int | None:
    key = (buffer, id(specs), start, last_key)
    if key not in _MATCHES:
        if len(_MATCHES) >= _MAX_MATCHES:
            _MATCHES.clear()
        _MATCHES[key] = _best_match(buffer, specs, start, last_key)
    return _MATCHES[key]


def _best_match(buffer: str, specs: tuple[RowSpec, ...], start: int, last_key: str | None) -> int | None:
    """Index of the spec whose pattern ends latest in the buffer (longest on a tie)."""
    best, best_rank = None, None
    for index in range(start, len(specs)):
        spec = specs[index]
        if spec.after is not None and last_key not in spec.after:
            continue
        for m in spec.pattern.finditer(buffer):
            rank = (m.end(), m.end() - m.start())
            if best_rank is None or rank > best_rank:
                best, best_rank = index, rank
    return best


def find_rows(tokens: Tokens, specs: tuple[RowSpec, ...]) -> list[FoundRow]:
    found: list[FoundRow] = []
    buffer: list[str] = []
    current: FoundRow | None = None
    current_index = -1
    next_start = 0  # rows are found in printed order

    def finish() -> None:
        nonlocal current, next_start, buffer
        # an unmatched label followed only by blanks is layout padding, not a row
        damaged_blank = current is not None and not current.key and all(is_blank(v) for v in current.values)
        if damaged_blank:  # keep its words: they may be the header of the next row (a unit)
            current = None
            return
        if current is not None and current.values:
            found.append(current)
            if current.key:
                next_start = current_index + 1
        current, buffer = None, []

    for row in tokens.rows:
        row_has_label = False
        for cell in row:
            if is_value_token(cell):
                if current is None and buffer and any(f.key for f in found):
                    # values under a label that matched nothing: a damaged label, placed later
                    current = FoundRow("", "".join(buffer))
                    row_has_label = True
                if current is not None:
                    current.values.append(cell)
                continue
            if current is not None and current.values:
                finish()
            buffer.append(cell)
            last_key = found[-1].key if found else None
            index = _match(label_key("".join(buffer)), specs, next_start, last_key)
            if index is not None:
                current, current_index = FoundRow(specs[index].key, "".join(buffer), index=index), index
                row_has_label = True
        if not tokens.stream and row_has_label and current is not None and current.values:
            finish()
    finish()
    return _place_by_position(found, specs)


def _place_by_position(found: list[FoundRow], specs: tuple[RowSpec, ...]) -> list[FoundRow]:
    """Rows under damaged labels take the places of the rows missing between
    their recognised neighbours, when the counts agree exactly; others stay
    unplaced (key "") for the caller to report."""
    out: list[FoundRow] = []
    run: list[FoundRow] = []
    last_index = -1

    def close_run(next_index: int) -> None:
        missing = [i for i in range(last_index + 1, next_index)]
        if run and len(run) == len(missing):
            for row, i in zip(run, missing, strict=True):
                row.key, row.index, row.by_position = specs[i].key, i, True
        out.extend(run)
        run.clear()

    for row in found:
        if not row.key:
            run.append(row)
            continue
        close_run(row.index)
        out.append(row)
        last_index = row.index
    close_run(len(specs))
    return out
