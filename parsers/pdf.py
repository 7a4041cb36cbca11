"""PDF → Reading: text in reading order, and the ruled tables as grids.

Ruled tables (WPS, Word exports) are read with pdfplumber's table finder,
which keeps what a text dump loses: a blank cell is "" in its own column,
a merged cell is None at every position but its first. Each table is given
to the part (二、/三、/四、) whose heading precedes it; a table running on
across pages is two grids of the same part, joined. PDFs without ruling
lines fall back to the text, one printed row per line (layouts.py `lines`).
Page furniture (page numbers such as "- 4 -") is dropped.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_left

from parsers.document import InputError, Reading
from parsers.layouts import Tokens
from parsers.sections import find_parts

_PAGE_NUMBER = re.compile(r"^\s*(?:[-—－–]\s*\d{1,3}\s*[-—－–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$")
TABLE_PARTS = ("active_disclosure", "applications", "review_litigation")


def _text(region) -> list[str]:
    text = region.extract_text() or ""
    return [line for line in text.split("\n") if line.strip() and not _PAGE_NUMBER.match(line)]


def _extract(table, chars) -> list[list[str | None]]:
    """`table.extract()`, the same cells in the same order, without testing every
    character of the page against every row and cell (pdfplumber's way: ~15 % of
    a ruled report's parse). A character belongs to the cell holding its centre,
    as in pdfplumber; only characters whose centre is in the table are sorted by
    height, each row takes its band by bisection, in the page's character order."""
    from pdfplumber.utils import extract_text

    x0, top, x1, bottom = table.bbox
    inside = []  # (v_mid, page order, h_mid, char)
    for i, c in enumerate(chars):
        v, h = (c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2
        if x0 <= h < x1 and top <= v < bottom:
            inside.append((v, i, h, c))
    inside.sort(key=lambda e: (e[0], e[1]))
    mids = [e[0] for e in inside]
    out = []
    for row in table.rows:
        r_x0, r_top, r_x1, r_bottom = row.bbox
        band = inside[bisect_left(mids, r_top):bisect_left(mids, r_bottom)]
        row_chars = sorted((e for e in band if r_x0 <= e[2] < r_x1), key=lambda e: e[1])
        cells: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                cells.append(None)
                continue
            c_x0, c_top, c_x1, c_bottom = cell
            in_cell = [e[3] for e in row_chars if c_x0 <= e[2] < c_x1 and c_top <= e[0] < c_bottom]
            cells.append(extract_text(in_cell) if in_cell else "")
        out.append(cells)
    return out


def _grid(table, chars) -> list[list[str]]:
    rows = []
    for row in _extract(table, chars):
        cells = [" ".join(c.split()) if c else c for c in row]
        rows.append([c for c in cells if c is not None])  # None: covered by a merged cell
    return rows


def _page_blocks(page):
    """Text lines and tables of one page, top to bottom."""
    tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
    top = page.bbox[1]
    for table in tables:
        x0, t_top, x1, t_bottom = table.bbox
        if t_top > top:
            yield "text", _text(page.crop((page.bbox[0], top, page.bbox[2], t_top)))
        yield "table", _grid(table, page.chars)
        top = max(top, t_bottom)
    if top < page.bbox[3]:
        yield "text", _text(page.crop((page.bbox[0], top, page.bbox[2], page.bbox[3])))


def read_pdf(data: bytes, *, source: str) -> Reading:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    from parsers.bounds import pdf_budget

    lines: list[str] = []
    tables: list[tuple[int, list[list[str]]]] = []  # (offset in text, rows)
    problems: list[str] = []
    try:
        # not `with pdfplumber.open(...)`: its close() makes every page of the file (to
        # close them); ours are closed one by one, and the stream is a BytesIO
        with pdf_budget(source):
            pdf = pdfplumber.open(io.BytesIO(data))
            for page in _pages(pdf, problems):
                for kind, content in _page_blocks(page):
                    if kind == "text":
                        lines.extend(content)
                    else:
                        tables.append((len("\n".join(lines)), content))
                        # the table's text stays in the prose too, for sections and fallbacks
                        lines.extend(" ".join(c for c in row if c) for row in content)
                page.close()  # its characters and layout are read: free them before the next page
    except PdfminerException as exc:  # pdfplumber's wrapper of whatever pdfminer raised
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, InputError | MemoryError):  # a bound (parsers/bounds.py, parsers/bounded.py)
            raise cause from None
        raise InputError(f"{source}: unreadable PDF ({type(cause).__name__})") from None
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{source}: unreadable PDF ({type(exc).__name__})") from None
    text = "\n".join(lines)
    if not text.strip():
        problems.append("pdf: no text layer (a scanned PDF needs OCR, which nianbao does not do)")
    return Reading(text=text, grids=_grids_by_part(text, tables), problems=problems)


def _pages(pdf, problems: list[str]):
    """The first MAX_PDF_PAGES pages, made one at a time (pdfplumber's `pdf.pages` makes
    every page of the file first: 20,000 pages took 1.5 GB); a cut is named in problems."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page

    from parsers.bounds import MAX_PDF_PAGES

    doctop = 0
    for number, obj in enumerate(PDFPage.create_pages(pdf.doc), 1):
        if number > MAX_PDF_PAGES:
            problems.append(f"pdf: {_page_count(pdf)} pages; only the first {MAX_PDF_PAGES} read "
                            "(MAX_PDF_PAGES: a report has tens)")
            return
        page = Page(pdf, obj, page_number=number, initial_doctop=doctop)
        doctop += page.height
        yield page


def _page_count(pdf) -> str:
    """The page count the file declares (its page tree's /Count), or "over N"."""
    from pdfminer.pdftypes import resolve1

    from parsers.bounds import MAX_PDF_PAGES

    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
    except Exception:  # a damaged page tree: the count is only a figure in a message
        count = None
    return str(count) if isinstance(count, int) and count > MAX_PDF_PAGES else f"over {MAX_PDF_PAGES}"


def _grids_by_part(text: str, tables: list[tuple[int, list[list[str]]]]) -> dict[str, Tokens]:
    rows_by_part: dict[str, list[list[str]]] = {}
    parts = [p for p in find_parts(text) if p.key in TABLE_PARTS]
    for offset, rows in tables:
        part = next((p.key for p in parts if p.heading_start <= offset < p.end), None)
        if part:
            rows_by_part.setdefault(part, []).extend(rows)
    return {part: Tokens("pdf_table", rows, stream=False) for part, rows in rows_by_part.items()}
