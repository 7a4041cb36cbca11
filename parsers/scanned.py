"""Pages without a text layer (scanned PDFs, JPEG/PNG/TIFF) → text lines and table rows by OCR.

A page is deskewed; its ruling lines give the tables and their cells
(parsers/scan.py); each cell is read on its own tight crop and keeps the
engine's confidence (`OcrText`, a str that carries it through the shared
table mapper into the record's cell); the prose outside the tables is read
line by line. The page comes back as the same blocks a text PDF page gives
(parsers/pdf.py), so parts, labels and rows are found exactly as there.

The run is bounded: at most MAX_PAGES pages a document, MAX_CELLS cells a
page, and once a document has spent SECONDS_PER_PAGE × pages the remaining
pages are skipped and named in the problems.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import numpy as np

from parsers import ocr, scan

MAX_PAGES = 40
MAX_CELLS = 1500
SECONDS_PER_PAGE = 90.0
DEFAULT_DPI = 200
MIN_DPI, MAX_DPI = 150, 300
MAX_SIDE = 4200  # pixels: a larger image is scaled down (an A4 page at 360 dpi)


class OcrText(str):
    """A cell's OCR text; `confidence` (0–1) goes into the record's cell."""

    confidence: float = 0.0

    def __new__(cls, text: str, confidence: float):
        obj = super().__new__(cls, text)
        obj.confidence = round(float(confidence), 3)
        return obj


# what the recognizer makes of a digit next to a speck or of a lone digit: the
# edges are never part of a printed number, the letters stand for digits
_EDGE_JUNK = "'’‘\"“”`.,·°:;，。、_~*"
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "|": "1",
                                   "i": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "b": "6", "g": "9"})
# a reading that needed either repair is doubtful: the checks must confirm it
REPAIRED_CONFIDENCE = 0.5


def as_read(text: str, confidence: float) -> OcrText:
    """A cell's reading; a number with junk at its edges or a letter for a digit is
    repaired, with its confidence lowered so that only a check can confirm it."""
    from parsers.cells import number_match

    text = text.strip()
    if not text or number_match(text):
        return OcrText(text, confidence)
    body = text.strip(_EDGE_JUNK)
    repaired = body.translate(_DIGIT_LOOKALIKES) if len(body) <= 12 else body
    if repaired and number_match(repaired) and repaired[-1].isdigit() and not repaired.startswith("."):
        return OcrText(repaired, min(confidence, REPAIRED_CONFIDENCE))
    return OcrText(text, confidence)


@dataclass
class PageReading:
    blocks: list[tuple[str, object]] = field(default_factory=list)  # ("text", [lines]) | ("table", rows)
    skew: float = 0.0


def read_page(gray: np.ndarray, dpi: int) -> PageReading:
    turns = ocr.quarter_turns(gray)  # a page scanned sideways or upside down, turned upright
    if turns:
        gray = np.ascontiguousarray(np.rot90(gray, turns))
    straight, angle = scan.deskew(gray)
    threshold = min(scan.otsu(straight), 200)
    mask = straight < threshold
    horizontal, vertical, drawn = scan.ruling_lines(mask)
    geometry = scan.tables(horizontal, vertical)
    clean = scan.erase(straight, drawn)
    prose = clean.copy()
    for t in geometry:
        x0, y0, x1, y1 = t.box
        prose[max(y0 - 4, 0):y1 + 5, max(x0 - 4, 0):x1 + 5] = 255
    lines = ocr.text_lines(prose, threshold)
    placed: list[tuple[float, str, object]] = [(ln.box[1], "text", ln.text) for ln in lines]
    for t in geometry:
        placed.append((t.box[1], "table", _table_rows(clean, t, threshold, dpi)))
    placed.sort(key=lambda p: p[0])
    page = PageReading(skew=angle)
    for _, kind, content in placed:
        if kind == "text":
            if page.blocks and page.blocks[-1][0] == "text":
                page.blocks[-1][1].append(content)
            else:
                page.blocks.append(("text", [content]))
        else:
            page.blocks.append(("table", content))
    return page


def _table_rows(gray: np.ndarray, table: scan.TableGeometry, threshold: int, dpi: int) -> list[list[str]]:
    """Printed rows of a ruled table: each cell once, in its top row; blank cells ""."""
    cells = table.cells[:MAX_CELLS]
    inset = max(2, dpi // 100)
    crops, where = [], []
    for i, cell in enumerate(cells):
        x0, y0, x1, y1 = cell.box
        for crop in ocr.cell_crops(gray, (x0 + inset, y0 + inset, x1 - inset, y1 - inset), threshold, dpi):
            crops.append(crop)
            where.append(i)
    read: dict[int, list[tuple[str, float]]] = {}
    for i, reading in zip(where, ocr.read_crops(crops), strict=True):
        read.setdefault(i, []).append(reading)
    texts: list[str] = [""] * len(cells)
    for i, lines in read.items():
        texts[i] = as_read("".join(t.strip() for t, _ in lines), min(c for _, c in lines))
    rows: list[list[str]] = [[] for _ in range(table.nrows)]
    for cell, text in zip(cells, texts, strict=True):
        rows[cell.row].append(text)
    return [r for r in rows if r]


# --- page images ---------------------------------------------------------------------


def to_gray(image) -> tuple[np.ndarray, int]:
    """A Pillow image → (grayscale array, dpi), scaled into MIN_DPI…MAX_DPI when its dpi is known."""
    from PIL import Image

    dpi = image.info.get("dpi", (0, 0))[0] or 0
    img = image.convert("L")
    scale = 1.0
    if dpi and not MIN_DPI <= dpi <= MAX_DPI:
        scale = min(max(dpi, MIN_DPI), MAX_DPI) / dpi
    scale = min(scale, MAX_SIDE / max(img.size))
    if abs(scale - 1) > 0.01:
        img = img.resize((int(img.width * scale), int(img.height * scale)), Image.LANCZOS)
    effective = int(round(dpi * scale)) if dpi else _guess_dpi(img.size)
    return np.asarray(img), effective


def _guess_dpi(size: tuple[int, int]) -> int:
    """A photo or scan without a dpi tag: as if the long side were an A4 page's (297 mm)."""
    return max(72, int(max(size) / (297 / 25.4)))


def image_pages(data: bytes, source: str):
    """The frames of a JPEG/PNG/TIFF (several for a multi-page TIFF)."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from parsers.document import InputError

    try:
        image = Image.open(io.BytesIO(data))
        for frame in ImageSequence.Iterator(image):
            yield to_gray(frame)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputError(f"{source}: an unreadable image ({type(exc).__name__})") from None


def pdf_page_image(pdf_page, plumber_page) -> tuple[np.ndarray, int]:
    """Render one PDF page (pypdfium2) at the dpi of the scan it holds."""
    dpi = DEFAULT_DPI
    images = plumber_page.images
    if images:
        big = max(images, key=lambda im: (im["x1"] - im["x0"]) * (im["bottom"] - im["top"]))
        width_in = (big["x1"] - big["x0"]) / 72
        if width_in > 0 and big.get("srcsize"):
            dpi = int(min(max(big["srcsize"][0] / width_in, MIN_DPI), MAX_DPI))
    scale = dpi / 72
    bitmap = pdf_page.render(scale=scale, grayscale=True)
    img = bitmap.to_pil().convert("L")
    if max(img.size) > MAX_SIDE:
        return to_gray(img)[0], int(dpi * MAX_SIDE / max(img.size))
    return np.asarray(img), dpi


class Budget:
    """Pages and seconds a document may spend on OCR."""

    def __init__(self, pages: int):
        self.started = time.monotonic()
        self.limit = SECONDS_PER_PAGE * max(1, min(pages, MAX_PAGES))

    def spent(self) -> bool:
        return time.monotonic() - self.started > self.limit


def _problem_pages(pages: list[int]) -> str:
    return ", ".join(str(p + 1) for p in pages)


def ocr_pdf_pages(data: bytes, plumber_pages, indices: list[int]) -> tuple[dict[int, list], list[str]]:
    """Blocks of the PDF pages without a text layer, read by OCR within the budget;
    the problems name the pages read and any left unread."""
    try:
        ocr.engine()
    except ocr.OcrUnavailable as exc:
        return {}, [f"ocr: pages {_problem_pages(indices)} have no text layer and were not read: {exc}"]
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    budget = Budget(len(indices))
    read: dict[int, list] = {}
    try:
        for i in indices[:MAX_PAGES]:
            if budget.spent():
                break
            gray, dpi = pdf_page_image(document[i], plumber_pages[i])
            read[i] = read_page(gray, dpi).blocks
    finally:
        document.close()
    return read, _ocr_problems(sorted(read), [i for i in indices if i not in read], budget)


def _ocr_problems(done: list[int], skipped: list[int], budget: Budget) -> list[str]:
    out = []
    if done:
        out.append(f"ocr: pages {_problem_pages(done)} have no text layer and were read by OCR ({ocr.ENGINE}); "
                   "table values carry its confidence")
    if skipped:
        why = f"over {MAX_PAGES} pages" if len(done) >= MAX_PAGES else f"the OCR time limit ({budget.limit:.0f} s) was reached"
        out.append(f"ocr: pages {_problem_pages(skipped)} not read: {why}")
    return out


def read_image(data: bytes, *, source: str):
    """A JPEG/PNG/TIFF (a photo or scan of the report) → Reading, by OCR."""
    from parsers.pdf import reading_of

    try:
        ocr.engine()
    except ocr.OcrUnavailable as exc:
        from parsers.document import Reading

        return Reading(text="", problems=[f"ocr: an image of a document, not read: {exc}"])
    from PIL import Image

    try:
        count = getattr(Image.open(io.BytesIO(data)), "n_frames", 1)
    except Exception:  # noqa: BLE001 - image_pages names the damage below
        count = 1
    budget = Budget(count)
    pages, done = [], []
    # frames one at a time: a TIFF of a thousand pages is never all in memory
    for i, (gray, dpi) in enumerate(image_pages(data, source)):
        if i >= MAX_PAGES or budget.spent():
            break
        pages.append(read_page(gray, dpi).blocks)
        done.append(i)
    reading = reading_of(pages)
    reading.problems[:0] = _ocr_problems(done, [i for i in range(max(count, len(done))) if i not in done], budget)
    reading.ocr_pages = [i + 1 for i in done]
    return reading
