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

from lxml import etree

# HTML allows rowspan up to 65534 and colspan up to 1000; a page with absurd
# spans must not allocate a huge grid. Rowspans are also cut at the table end.
MAX_COLSPAN = 64
MAX_ROWSPAN = 512
_ROWS_XPATH = etree.XPath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
_CELLS_XPATH = etree.XPath("./td|./th")
_WHITESPACE = re.compile(r"\s+")
_SPAN = re.compile(r"\d+")


@dataclass(frozen=True)
class Cell:
    text: str
    row: int  # top-left grid position
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Grid:
    """`cells` in document order; `slots[r][c]` is the index of the cell covering (r, c) or -1."""

    cells: list[Cell] = field(default_factory=list)
    slots: list[list[int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.slots), default=0)

    def printed_rows(self) -> list[list[str]]:
        """Each grid row's cells that start in it, left to right (spans de-duplicated)."""
        rows: list[list[Cell]] = [[] for _ in self.slots]
        for cell in self.cells:
            rows[cell.row].append(cell)
        return [[c.text for c in sorted(row, key=lambda c: c.col)] for row in rows]

    def text_rows(self) -> list[list[str]]:
        """The grid with every covered position filled with its cell's text (for display)."""
        return [[self.cells[i].text if i >= 0 else "" for i in row] for row in self.slots]


def cell_text(element: etree._Element) -> str:
    """The printed text of a cell: <p>/<br> fragments joined without spaces, &nbsp; blank.

    "商业</p><p>企业" → 商业企业, "结果<br/>纠正" → 结果纠正; whitespace-only text
    between elements (the source's indentation) is dropped, other runs of
    whitespace become one space ("25829.67 (万元)").
    """
    parts = []
    for fragment in element.itertext():
        if fragment.isspace() or not fragment:
            continue
        parts.append(_WHITESPACE.sub(" ", fragment))
    return "".join(parts).strip()


def _span(element: etree._Element, name: str, limit: int) -> int:
    m = _SPAN.search(element.get(name) or "")
    if not m:
        return 1
    return max(1, min(int(m.group()), limit))


def build_grid(table: etree._Element) -> Grid:
    grid = Grid()
    trs = _ROWS_XPATH(table)
    occupied: dict[tuple[int, int], int] = {}
    clipped = False
    for r, tr in enumerate(trs):
        c = 0
        for td in _CELLS_XPATH(tr):
            while (r, c) in occupied:
                c += 1
            rowspan = _span(td, "rowspan", MAX_ROWSPAN)
            colspan = _span(td, "colspan", MAX_COLSPAN)
            if r + rowspan > len(trs):  # a rowspan past the last row stops at the table's end
                rowspan, clipped = len(trs) - r, True
            index = len(grid.cells)
            grid.cells.append(Cell(cell_text(td), r, c, rowspan, colspan))
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied.setdefault((r + dr, c + dc), index)
            c += colspan
    width = max((col for _, col in occupied), default=-1) + 1
    grid.slots = [[occupied.get((r, c), -1) for c in range(width)] for r in range(len(trs))]
    if clipped:
        grid.problems.append("html: a rowspan reaches past the end of its table; cut at the last row")
    return grid
