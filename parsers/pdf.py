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
MIN_TEXT_CHARS = 20  # fewer characters than this on a page with an image: a scan (maybe stamped)
SCAN_COVER = 0.25  # ... an image covering at least this share of the page
LINE_TOLERANCE = 6
SQUARE_TOLERANCE = 0.01  # pt: a line this close to level (or plumb) is level (plumb)
TURNED_SHARE = 0.5  # more than this share of a page's characters run in one turned direction: read it turned


def _text(region) -> list[str]:
    # a title's Latin digits sit higher than its CJK characters (Chromium's fallback fonts):
    # 6 pt keeps "2021" on the title's line and still parts lines of body text
    text = region.extract_text(y_tolerance=LINE_TOLERANCE) or ""
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


def _table_settings(page) -> dict:
    """A table broken across pages (Chromium, LibreOffice) has a row part at the
    top or bottom of a page drawn without its closing border: a horizontal line
    where the ruled area starts and ends closes it, so that part is a table row
    too and not loose text (a border already drawn there changes nothing)."""
    vertical = [e for e in page.edges if e["orientation"] == "v"]
    if not vertical:
        return {}
    return {"explicit_horizontal_lines": [min(e["top"] for e in vertical), max(e["bottom"] for e in vertical)]}


def _square_edges(page) -> None:
    """Content drawn turned (a form or text matrix with cos 90° = 6e-17) leaves a ruling
    line level only to 1e-13 pt, and a cell's border a "curve" instead of a rect;
    pdfplumber takes a line not exactly level for vertical and drops a curve's edge not
    exactly level or plumb, and the table loses that border. Its edges squared, before
    any table is looked for (pdfplumber caches a page's edges in `_edges`)."""
    squared = []
    for edge in page.edges:
        if edge["height"] < SQUARE_TOLERANCE:
            squared.append({**edge, "orientation": "h", "bottom": edge["top"], "height": 0})
        elif edge["width"] < SQUARE_TOLERANCE:
            squared.append({**edge, "orientation": "v", "x1": edge["x0"], "width": 0})
        # else a slanted stroke: no ruling line
    page._edges = squared


def _page_blocks(page):
    """Text lines and tables of one page, top to bottom."""
    _square_edges(page)
    tables = sorted(page.find_tables(_table_settings(page)), key=lambda t: t.bbox[1])
    top = page.bbox[1]
    for table in tables:
        x0, t_top, x1, t_bottom = table.bbox
        if t_top > top:
            yield "text", _text(page.within_bbox((page.bbox[0], top, page.bbox[2], t_top)))
        yield "table", _grid(table, page.chars)
        top = max(top, t_bottom)
    if top < page.bbox[3]:
        yield "text", _text(page.within_bbox((page.bbox[0], top, page.bbox[2], page.bbox[3])))


def needs_ocr(page) -> bool:
    """A page without a text layer: a scan (an image and at most a few stray characters)."""
    if len(page.chars) >= MIN_TEXT_CHARS:
        return False
    area = float(page.width * page.height) or 1.0
    covered = sum(float((im["x1"] - im["x0"]) * (im["bottom"] - im["top"])) for im in page.images)
    return covered >= SCAN_COVER * area


def read_pdf(data: bytes, *, source: str) -> Reading:
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    from parsers.bounds import pdf_budget

    pages: list[list] = []
    problems: list[str] = []
    ocr_pages: list[int] = []
    created = None
    try:
        # not `with pdfplumber.open(...)`: its close() makes every page of the file (to
        # close them); ours are made and closed one by one, and the stream is a BytesIO
        with pdf_budget(source):
            pdf = pdfplumber.open(io.BytesIO(data))
            created = (pdf.metadata or {}).get("CreationDate")
            doc_pages = list(_pages(pdf, problems))
            scans = [i for i, page in enumerate(doc_pages) if needs_ocr(page)]
            read = {}
            if scans:
                from parsers.scanned import ocr_pdf_pages

                read, more = ocr_pdf_pages(data, doc_pages, scans)
                problems.extend(more)
                ocr_pages = [i + 1 for i in sorted(read)]
            for i, page in enumerate(doc_pages):
                pages.append(read.get(i, []) if i in scans else list(_page_blocks(page)))
                page.close()  # its characters and layout are read: free them before the next page
    except PdfminerException as exc:  # pdfplumber's wrapper of whatever pdfminer raised
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, InputError | MemoryError):  # a bound (parsers/bounds.py, parsers/bounded.py)
            raise cause from None
        raise InputError(f"{source}: unreadable PDF ({type(cause).__name__})") from None
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{source}: unreadable PDF ({type(exc).__name__})") from None
    from parsers.metadata import property_date

    reading = reading_of(pages)
    reading.problems[:0] = problems
    reading.ocr_pages = ocr_pages
    if isinstance(created, bytes):
        created = created.decode("latin-1")
    reading.property_published = property_date(created if isinstance(created, str) else None)
    return reading


def reading_of(pages: list[list]) -> Reading:
    """Text lines and table rows of each page, top to bottom → one Reading
    (tables given to the part whose heading precedes them; a row broken by a
    page break joined again)."""
    lines: list[str] = []
    tables: list[tuple[int, list[list[str]]]] = []  # (offset in text, rows)
    open_table: list[list[str]] | None = None  # the table that ended its page
    for blocks in pages:
        blocks = [(kind, _content(kind, content)) for kind, content in blocks]
        blocks = [(kind, content) for kind, content in blocks if content]
        for n, (kind, content) in enumerate(blocks):
            if kind == "text":
                lines.extend(content)
                continue
            if n == 0 and open_table is not None:
                content = _join_broken_row(open_table, content)
            tables.append((len("\n".join(lines)), content))
            # the table's text stays in the prose too, for sections and fallbacks
            lines.extend(" ".join(c for c in row if c) for row in content)
        open_table = tables[-1][1] if blocks and blocks[-1][0] == "table" else None
    text = "\n".join(lines)
    problems = [] if text.strip() else ["pdf: no text found (no text layer, and nothing read by OCR)"]
    return Reading(text=text, grids=_grids_by_part(text, tables), problems=problems, is_file=True)


def _content(kind: str, content):
    if kind == "text":
        return [line for line in content if line.strip() and not _PAGE_NUMBER.match(line)]
    return [row for row in content if any(c.strip() for c in row)]


def _join_broken_row(before: list[list[str]], after: list[list[str]]) -> list[list[str]]:
    """A row cut by the page break: its label's end (or its numbers) in the first
    row of the next page, cell for cell under the last row of the page before.
    One of the two parts holds no number; the parts are joined in `before`."""
    from parsers.rows import is_value_token

    if not before or not after:
        return after
    last, first = before[-1], after[0]
    # a cell spanning rows from the page before (三、本年度办理结果) is printed again, blank
    while len(first) > len(last) and not first[0].strip():
        first = first[1:]
    if len(last) != len(first):
        return after

    def numbers(row: list[str]) -> bool:
        return any(c.strip() and is_value_token(c) for c in row)

    if numbers(last) and numbers(first):
        return after
    joined = [a + b if not (a.strip() and b.strip() and is_value_token(a) and is_value_token(b)) else a
              for a, b in zip(last, first, strict=True)]
    before[-1] = [j if not hasattr(a, "confidence") else a.__class__(j, min(a.confidence, getattr(b, "confidence", 1)))
                  for a, b, j in zip(last, first, joined, strict=True)]  # an OCR reading keeps its confidence
    return after[1:]


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
        turn = _reading_turn(page.chars)
        if turn:  # turn the page as a reader would: its text, lines and boxes then run left to right
            page.close()
            obj.rotate = (obj.rotate + turn) % 360
            obj.attrs = {**obj.attrs, "Rotate": obj.rotate}  # pdfplumber's boxes, pdfminer's `rotate`
            page = Page(pdf, obj, page_number=number, initial_doctop=doctop)
        doctop += page.height
        yield page


def _reading_turn(chars) -> int:
    """Degrees clockwise a page must turn for most of its text to run left to right:
    a landscape table drawn sideways on a portrait page, or a page whose /Rotate turns
    upright content sideways. A character's direction is its matrix's first column
    (pdfminer's y runs up): (+, 0) reads as it is, (0, +) runs up and turns 90,
    (-, 0) is upside down (180; pdfplumber calls it `upright` too), (0, -) turns 270."""
    counts = [0, 0, 0, 0]  # 0, 90, 180, 270
    for c in chars:
        a, b = c["matrix"][:2]
        counts[(0 if a > 0 else 2) if abs(a) >= abs(b) else (1 if b > 0 else 3)] += 1
    best = max(range(1, 4), key=counts.__getitem__)
    return 90 * best if counts[best] > TURNED_SHARE * len(chars) else 0


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
