"""One HTML <table> → its true grid (rowspan/colspan expanded) and its printed rows.

The label mapper (rows.py) reads a table row by row, label cells then value
cells. A spanned cell is one printed cell: it is placed once, at its top-left
grid position, and never repeated into the other positions it covers — a
colspan=2 value (本年新公开数量 in part 2) is one value, not two, and a rowspan=20
label (三、本年度办理结果) belongs to its first row only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from parsers.bounds import MAX_GRID_CELLS

# HTML allows rowspan up to 65534 and colspan up to 1000; a page with absurd
# spans must not allocate a huge grid. Rowspans are also cut at the table end.
MAX_COLSPAN = 64
MAX_ROWSPAN = 512
_ROWS_XPATH = etree.XPath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
_WHITESPACE = re.compile(r"\s+")
_HAS_SPACE = re.compile(r"\s")
_LINE_BREAK = re.compile(r"\s*[\r\n]\s*")
_SPAN = re.compile(r"\d+")
_tostring = etree.tostring
_new_cell = tuple.__new__  # Cell(...) without the Python-level NamedTuple.__new__


class Cell(NamedTuple):  # a NamedTuple: built ~300 times a table, 3x cheaper than a frozen dataclass
    text: str
    row: int  # top-left grid position
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Grid:
    """`cells` in document order, each at its top-left grid position."""

    cells: list[Cell] = field(default_factory=list)
    nrows: int = 0
    problems: list[str] = field(default_factory=list)
    _rows: list[list[str]] | None = field(default=None, repr=False, compare=False)

    def printed_rows(self) -> list[list[str]]:
        """Each grid row's cells that start in it, left to right (spans de-duplicated).

        A row's cells all come from its own <tr>, placed left to right, so
        document order is column order. Callers must not modify the lists.
        """
        if self._rows is None:
            self._rows = [[] for _ in range(self.nrows)]
            for cell in self.cells:
                self._rows[cell.row].append(cell.text)
        return self._rows

    def slots(self) -> list[list[int]]:
        """slots[r][c]: index of the cell covering grid position (r, c), -1 where none does."""
        occupied: dict[tuple[int, int], int] = {}
        for index, cell in enumerate(self.cells):
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    occupied.setdefault((r, c), index)
        width = max((c for _, c in occupied), default=-1) + 1
        return [[occupied.get((r, c), -1) for c in range(width)] for r in range(self.nrows)]


def cell_text(element: etree._Element) -> str:
    """The printed text of a cell: <p>/<br> fragments joined without spaces, &nbsp; blank.

    "商业</p><p>企业" → 商业企业, "结果<br/>纠正" → 结果纠正. Whitespace with a line
    break in it is the source's indentation or a label wrapped in the editor
    ("法律服务\n机构"), so it is dropped; other runs become one space ("25829.67 (万元)").
    """
    # tostring(method="text") is ~7x faster than joining itertext() fragments
    text = etree.tostring(element, method="text", encoding=str, with_tail=False)
    if not _HAS_SPACE.search(text):
        return text
    return _WHITESPACE.sub(" ", _LINE_BREAK.sub("", text)).strip()


def _span(value: str | None, limit: int) -> int:
    if value is None:
        return 1
    if value.isdigit():  # the usual case, without a regex
        return max(1, min(int(value), limit))
    m = _SPAN.search(value)
    return max(1, min(int(m.group()), limit)) if m else 1


def build_grid(table: etree._Element) -> Grid:
    trs = _ROWS_XPATH(table)
    nrows = len(trs)
    grid = Grid(nrows=nrows)
    # grid positions still covered by a rowspan from above: (row, col)
    covered: set[tuple[int, int]] = set()
    clipped = False
    area = 0  # grid positions the cells so far cover: `covered` grows with it
    append = grid.cells.append
    # ~300 cells a table: the loop body is cell_text() and _span() inlined
    for r, tr in enumerate(trs):
        c = 0
        if area > MAX_GRID_CELLS:
            break
        for td in tr:
            tag = td.tag
            if tag != "td" and tag != "th":
                continue
            if covered:
                while (r, c) in covered:
                    c += 1
            rowspan = td.get("rowspan")
            rowspan = 1 if rowspan is None else _span(rowspan, MAX_ROWSPAN)
            colspan = td.get("colspan")
            colspan = 1 if colspan is None else _span(colspan, MAX_COLSPAN)
            if r + rowspan > nrows:  # a rowspan past the last row stops at the table's end
                rowspan, clipped = nrows - r, True
            area += rowspan * colspan
            if area > MAX_GRID_CELLS:
                break  # this cell and the rest of the table are not read
            text = _tostring(td, method="text", encoding=str, with_tail=False)
            if _HAS_SPACE.search(text):
                text = _WHITESPACE.sub(" ", _LINE_BREAK.sub("", text)).strip()
            append(_new_cell(Cell, (text, r, c, rowspan, colspan)))
            if rowspan > 1:
                for dr in range(1, rowspan):
                    covered.update([(r + dr, c + dc) for dc in range(colspan)])
            c += colspan
    if area > MAX_GRID_CELLS:
        grid.problems.append(f"html: a table covers over {MAX_GRID_CELLS} grid cells (MAX_GRID_CELLS: a report "
                             f"table has a few hundred); read up to there, {len(grid.cells)} cells")
    if clipped:
        grid.problems.append("html: a rowspan reaches past the end of its table; cut at the last row")
    return grid
