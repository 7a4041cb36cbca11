"""One printed table cell → {"value", "raw"[, "unit"]}.

A blank cell is null, never 0: the archive records what the body published.
"""

from __future__ import annotations

import re
from functools import lru_cache

from parsers.text import clean

UNITS = ("亿元", "万元", "元")
_UNIT = r"(?:亿元|万元|元)"
# "+11", "-2", "25829.67 (万元)", "251000元", "1,234", "180.338174"
_NUMBER_CELL = re.compile(
    rf"^(?P<sign>[+-]?)\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?P<frac>\.\d+)?\s*"
    rf"(?:[(\[]?\s*(?:单位\s*:?\s*)?(?P<unit>{_UNIT})\s*[)\]]?)?$"
)
# Cells that mean "nothing printed here": blank, dashes, slashes.
_EMPTY_MARKS = re.compile(r"^[\s\-—–―_/\\、.·]*$")


def is_blank(raw: str) -> bool:
    return not clean(raw).strip()


def number_match(raw: str) -> re.Match | None:
    return _NUMBER_CELL.match(clean(raw).strip())


@lru_cache(maxsize=1 << 16)
def is_value_cell(raw: str) -> bool:
    """True for a cell that belongs in a value column: a number, blank or a dash."""
    text = clean(raw).strip()
    return bool(_EMPTY_MARKS.match(text)) or number_match(text) is not None


@lru_cache(maxsize=1 << 16)
def parse_number(raw: str) -> tuple[int | float | None, str | None]:
    """(value, unit) of a printed cell; (None, None) when it is not a number."""
    m = number_match(raw)
    if not m:
        return None, None
    digits = m["num"].replace(",", "")
    sign = -1 if m["sign"] == "-" else 1
    value: int | float = sign * (float(digits + m["frac"]) if m["frac"] else int(digits))
    return value, m["unit"]


def _cell_parts(raw: str) -> tuple[str, int | float | None, str | None]:
    raw = clean(raw).strip()
    return (raw, *parse_number(raw))


_short_cell_parts = lru_cache(maxsize=1 << 14)(_cell_parts)  # cells repeat: "0", "1" …


def make_cell(raw: str, unit: str | None = None) -> dict:
    """The canonical cell of a printed text; `unit` is one printed elsewhere (a header)."""
    raw_in = raw
    raw, value, cell_unit = _short_cell_parts(raw) if len(raw) < 64 else _cell_parts(raw)
    cell = {"value": value, "raw": raw}
    if cell_unit or (unit and value is not None):
        cell["unit"] = cell_unit or unit
    confidence = getattr(raw_in, "confidence", None)  # an OCR reading (parsers/scanned.OcrText)
    if confidence is not None:
        cell["confidence"] = confidence
    return cell


def unit_in(text: str) -> str | None:
    """A unit named in a header such as 本年收费金额(单位:万元)."""
    for unit in UNITS:
        if unit in text:
            return unit
    return None
