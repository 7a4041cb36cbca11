"""Text layouts of a table → rows of cells.

A table region (the text of one part) arrives in one of the layouts seen in
the wild. Each tokenizer returns `rows`: a list of rows, each a list of cell
strings ("" for a blank cell). Layouts where row boundaries are unknown return
one row holding every cell in reading order ("stream"); the table mapper finds
rows by their labels either way.

| layout     | seen in | cells are separated by |
|------------|---------|------------------------|
| pipe       | 000, 001, 003 | "|" (rows may span lines, cells may hold newlines) |
| tab        | 002     | tabs, one printed row per line (with OCR junk) |
| blank_line | 004     | one blank line; each extra blank line is an empty cell |
| lines      | PDF text | one printed row per line: label then space-separated numbers |
| glued      | 平潭 dumps | nothing: labels and numbers run together on one line |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.cells import is_value_cell

Rows = list[list[str]]

_TRAILING_NUMBERS = re.compile(r"^(?P<text>.*?[^\d\s.,+\-])\s+(?P<nums>[+\-]?\d[\d.,]*(?:\s+[+\-]?\d[\d.,]*)*)\s*$")
_NUMBERS_ONLY = re.compile(r"^\s*[+\-]?\d[\d.,]*(?:\s+[+\-]?\d[\d.,]*)+\s*$")
# A run of digits in a glued dump; spaces inside a run are printed cell boundaries.
_GLUED_RUN = re.compile(r"[+\-]?\d[\d .,+\-]*")
# "…00000002.其他法律…": the "2." is the numbering of the next label, not a digit.
_NUMBERING_TAIL = re.compile(r"\s*\d[.、．]$")


@dataclass(frozen=True)
class Tokens:
    layout: str
    rows: Rows
    stream: bool  # True when row boundaries are unknown


def explode(cell: str) -> list[str]:
    """'行政处罚 0' → ['行政处罚', '0']; '(一)予以公开 1288 21 0' → label + numbers;
    '447 7 0' → three numbers."""
    if _NUMBERS_ONLY.match(cell):
        return cell.split()
    m = _TRAILING_NUMBERS.match(cell.strip())
    if not m or is_value_cell(cell):
        return [cell.strip()]
    return [m["text"].strip(), *m["nums"].split()]


def detect_layout(region: str) -> str:
    body = region.strip()
    lines = body.split("\n")
    if body.count("|") >= 10:
        return "pipe"
    if body.count("\t") >= 10:
        return "tab"
    if len(lines) <= 3:
        return "glued"
    empty = sum(1 for line in lines if not line.strip())
    if empty >= 0.35 * len(lines):
        return "blank_line"
    return "lines"


def tokenize(region: str, layout: str | None = None) -> Tokens:
    layout = layout or detect_layout(region)
    return Tokens(layout, _TOKENIZERS[layout](region), layout in _STREAM_LAYOUTS)


def _pipe(region: str) -> Rows:
    cells = [c.strip() for c in region.split("|")]
    return [[piece for c in cells for piece in explode(c)] if cells else []]


def _tab(region: str) -> Rows:
    rows = []
    for line in region.split("\n"):
        if line.strip():
            rows.append([piece for c in line.split("\t") for piece in explode(c)])
    return rows


def _lines(region: str) -> Rows:
    return [explode(line) for line in region.split("\n") if line.strip()]


def _blank_line(region: str) -> Rows:
    # "3\n\n\n3" is 3, blank, 3: one blank line separates cells, each further
    # one is an empty cell. The region ends where the next heading's line starts,
    # so its final newline is the separator and the one before it is not a cell.
    cells: list[str] = []
    blank_run = 0
    for line in region.split("\n"):
        if line.strip():
            if cells and blank_run > 1:
                cells.extend([""] * (blank_run - 1))
            cells.append(line.strip())
            blank_run = 0
        else:
            blank_run += 1
    if cells and blank_run > 2:
        cells.extend([""] * (blank_run - 2))
    return [cells]


def _glued(region: str) -> Rows:
    cells: list[str] = []
    pos = 0
    text = region.strip()
    for m in _GLUED_RUN.finditer(text):
        run, carry = m.group(), ""
        tail = _NUMBERING_TAIL.search(run)
        if tail and m.end() < len(text) and not text[m.end()].isdigit():
            run, carry = run[: tail.start()], tail.group().strip()
        before = text[pos : m.start()].strip()
        if before:
            cells.append(before)
        if run.strip():
            cells.append(GLUED_PREFIX + run.strip())
        pos = m.end()
        if carry:  # give the numbering back to the label that follows
            cells.append(carry)
    if text[pos:].strip():
        cells.append(text[pos:].strip())
    return [cells]


# A glued run is marked so the mapper splits it with the checks, not by spaces.
GLUED_PREFIX = "\x00glued:"

_TOKENIZERS = {"pipe": _pipe, "tab": _tab, "lines": _lines, "blank_line": _blank_line, "glued": _glued}
_STREAM_LAYOUTS = {"pipe", "blank_line", "glued"}
