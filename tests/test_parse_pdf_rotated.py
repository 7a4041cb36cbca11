"""Rotated PDF pages: a page whose /Rotate turns upright content sideways (or upside
down), and a table drawn sideways on its page (landscape content turned on a portrait
page, with and without a /Rotate that shows it upright). Made with pypdfium2 from the
producer PDFs of test_parse_pdf_producers; every cell as the ground truth."""

from __future__ import annotations

import io

import pypdfium2 as pdfium  # pdfplumber's own dependency
import pytest

from parsers import parse_document
from tests.format_inputs import assert_same_cells, cached, cell_values, reports
from tests.test_parse_pdf_producers import _pdf


def _set_rotation(data: bytes, degrees: int, *, pages=None) -> bytes:
    pdf = pdfium.PdfDocument(data)
    for i, page in enumerate(pdf):
        if pages is None or i in pages:
            page.set_rotation(degrees)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _drawn_turned(data: bytes, turn: int, *, rotate: int = 0) -> bytes:
    """Each page's content placed as a form turned `turn` degrees clockwise on a
    new page of the turned size; `rotate` the new page's /Rotate."""
    src, dst = pdfium.PdfDocument(data), pdfium.PdfDocument.new()
    for i in range(len(src)):
        w, h = src[i].get_size()
        form = src.page_as_xobject(i, dst).as_pageobject()
        turned = pdfium.PdfMatrix().rotate(turn)
        left, bottom, right, top = turned.on_rect(0, 0, w, h)
        form.transform(turned.translate(-left, -bottom))
        page = dst.new_page(right - left, top - bottom)
        page.insert_obj(form)
        page.gen_content()
        if rotate:
            page.set_rotation(rotate)
    out = io.BytesIO()
    dst.save(out)
    return out.getvalue()


VARIANTS = {
    # name: (template, producer, make)
    "rotate-90": ("2021", "chromium", lambda d: _set_rotation(d, 90)),
    "rotate-180": ("2021", "chromium", lambda d: _set_rotation(d, 180)),
    "rotate-270-even-pages": ("2019", "libreoffice", lambda d: _set_rotation(d, 270, pages={1, 3, 5, 7})),
    "drawn-clockwise": ("2021", "libreoffice", lambda d: _drawn_turned(d, 90)),
    "drawn-counterclockwise": ("2019", "chromium", lambda d: _drawn_turned(d, 270)),
    "drawn-sideways-shown-upright": ("2021", "chromium", lambda d: _drawn_turned(d, 270, rotate=90)),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_rotated_pdf_every_cell(variant):
    template, producer, make = VARIANTS[variant]
    data = cached(f"{template}-{producer}-{variant}.pdf", lambda: make(_pdf(template, producer)))
    want = reports()[template].record
    got = parse_document(data, source="report.pdf", filename="report.pdf")
    assert (got["title"], got["organization"], got["year"], got["published"]) == (
        want["title"], want["organization"], want["year"], want["published"])
    assert got["problems"] == []
    assert_same_cells(got, want)
    assert sorted((c["rule"], c["column"], c["status"]) for c in got["checks"]) == sorted(
        (c["rule"], c["column"], c["status"]) for c in want["checks"])


def test_reading_turn_of_characters():
    from parsers.pdf import _reading_turn

    def chars(*matrices):
        return [{"matrix": m} for m in matrices]

    assert _reading_turn(chars((1, 0), (1, 0), (0, 1))) == 0
    assert _reading_turn(chars((0, 1), (0, 1), (1, 0))) == 90
    assert _reading_turn(chars((-1, 1e-16), (-1, 0))) == 180
    assert _reading_turn(chars((4.6e-17, -0.75), (0, -1), (1, 0))) == 270
    assert _reading_turn(chars((0, 1), (1, 0), (0, -1))) == 0  # no direction holds most of the text
    assert _reading_turn([]) == 0


def test_scan_turned_sideways_and_upside_down_every_cell_right_or_named():
    """The 200 dpi scan of test_parse_scanned, its pages shown turned (/Rotate 90,
    180, 270 in turn): each page image is turned upright before it is read."""
    pytest.importorskip("rapidocr_onnxruntime")
    from tests.test_parse_scanned import MAX_UNCERTAIN, _assert_never_wrong, _scan

    scan = _scan("2021", 200)
    pages = len(pdfium.PdfDocument(scan))
    turned = scan
    for i in range(pages):
        turned = _set_rotation(turned, (90, 180, 270)[i % 3], pages={i})
    want = reports()["2021"].record
    got = parse_document(turned, source="scan.pdf", filename="scan.pdf")
    assert (got["title"], got["organization"], got["year"], got["published"]) == (
        want["title"], want["organization"], want["year"], want["published"])
    assert got["problems"][0].startswith("ocr: pages 1")
    uncertain = _assert_never_wrong(got, want)
    assert uncertain <= MAX_UNCERTAIN[200] * len(cell_values(want)), uncertain


def test_each_quarter_turn_of_a_scanned_page_is_undone():
    pytest.importorskip("rapidocr_onnxruntime")
    import numpy as np

    from parsers import ocr
    from tests.test_parse_scanned import _scan

    page = pdfium.PdfDocument(_scan("2021", 200))[0]
    gray = np.asarray(page.render(scale=200 / 72).to_pil().convert("L"))
    for turns in range(4):
        assert (turns + ocr.quarter_turns(np.ascontiguousarray(np.rot90(gray, turns)))) % 4 == 0, turns
