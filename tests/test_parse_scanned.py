"""Scanned reports: the sandbox's PDF of a report in each template rendered to
page images (pdftoppm), made to look scanned (skew, grey paper, specks, blur,
JPEG) and wrapped as image-only PDFs; a phone photo of one table page. Every
cell is right, or null and named in the problems: never wrong."""

from __future__ import annotations

import pytest

from parsers import confirm, ocr, parse_document, scanned
from tests.format_inputs import cached, cell_values, reports

pytest.importorskip("rapidocr_onnxruntime")

# (template, dpi): each template once, each resolution once (OCR is ~10 s of CPU a page)
SCANS = [("2021", 200), ("2019", 150), ("pre-2019", 300)]
# share of cells left uncertain (null + named) that a scan may have: more at 150 dpi
MAX_UNCERTAIN = {150: 0.06, 200: 0.03, 300: 0.03}


def _pdf(report) -> bytes:
    from sandbox import render_pdf

    return render_pdf.render(report)


def _scan(template: str, dpi: int) -> bytes:
    from sandbox import render_formats

    return cached(f"{template}-scan-{dpi}.pdf",
                  lambda: render_formats.scan_pdf(_pdf(reports()[template]), dpi=dpi, seed=dpi))


def _uncertain_named(got: dict, key: tuple) -> bool:
    where = ".".join(p for p in key if p)
    return any(p.startswith(f"{where}: OCR read ") for p in got["problems"])


def _assert_never_wrong(got: dict, want: dict, *, expect_all_rows: bool = True) -> int:
    """Every cell right or null + named; returns how many were uncertain."""
    g, w = cell_values(got), cell_values(want)
    uncertain = 0
    for key, value in w.items():
        if key not in g:
            assert not expect_all_rows, ("missing", key)
            continue
        if g[key] != value:
            assert g[key] is None and _uncertain_named(got, key), (key, g[key], value)
            uncertain += 1
    assert set(g) <= set(w), set(g) - set(w)
    return uncertain


@pytest.mark.parametrize(("template", "dpi"), SCANS, ids=[f"{t}-{d}dpi" for t, d in SCANS])
def test_scanned_pdf_every_cell_right_or_named(template, dpi):
    report = reports()[template]
    got = parse_document(_scan(template, dpi), source="scan.pdf", filename="scan.pdf")
    want = report.record
    assert (got["title"], got["organization"], got["year"], got["published"], got["format"]) == (
        want["title"], want["organization"], want["year"], want["published"], want["format"])
    assert got["problems"][0].startswith("ocr: pages 1") and "read by OCR (RapidOCR)" in got["problems"][0]
    uncertain = _assert_never_wrong(got, want)
    cells = cell_values(want)
    assert uncertain <= MAX_UNCERTAIN[dpi] * max(len(cells), 1), uncertain
    for table in got["tables"].values():
        for row in table.values():
            for cell in (row.values() if "raw" not in row else [row]):
                assert cell["raw"] == "" or 0 <= cell["confidence"] <= 1  # a blank cell was not read
    if template == "2019":  # the published slip is never "repaired" into a passing check
        slipped = {c["column"]: c["status"] for c in got["checks"] if c["rule"] == "balance"
                   and c["column"] in ("natural_person", "total")}
        assert set(slipped.values()) <= {"failed", "not_checkable"} and len(slipped) == 2, slipped


def test_photo_of_one_table_page():
    from sandbox import render_formats

    report = reports()["2021"]
    photo = cached("2021-photo-page1.jpg", lambda: render_formats.photo(_pdf(report), 0, seed=1))
    got = parse_document(photo, source="photo.jpg", filename="photo.jpg")
    want = report.record
    assert (got["title"], got["organization"], got["year"], got["format"]) == (
        want["title"], want["organization"], want["year"], want["format"])
    assert got["problems"][0].startswith("ocr: pages 1 have no text layer")
    _assert_never_wrong(got, want, expect_all_rows=False)
    # the page holds part 2 and the applications rows down to (五): all of them
    assert set(got["tables"]["active_disclosure"]) == set(want["tables"]["active_disclosure"])
    assert len(got["tables"]["applications"]) >= 18


# --- the checks choose between close readings (no OCR needed) --------------------------


def _ocr_record(cells: dict[str, tuple[str, float]]) -> dict:
    """A 2019 applications table of zeros where `cells` ("row.col") were OCR'd as (text, confidence)."""
    from parsers import keys
    from parsers.cells import make_cell

    table = {row: {col: make_cell("0") for col in keys.APPLICATION_COLUMNS}
             for row in keys.row_keys("applications", "2019")}
    for row in ("new_received", "granted", "handled_total"):
        table[row]["natural_person"] = make_cell("8")
        table[row]["total"] = make_cell("8")
    for where, (text, confidence) in cells.items():
        row, col = where.split(".")
        table[row][col] = make_cell(scanned.OcrText(text, confidence))
    return {"tables": {"applications": table}, "problems": []}


def test_a_doubtful_0_the_checks_need_as_8_is_read_as_8():
    record = _ocr_record({"granted.natural_person": ("0", 0.6)})
    confirm.settle(record)
    cell = record["tables"]["applications"]["granted"]["natural_person"]
    assert (cell["value"], cell["raw"], cell["confidence"]) == (8, "0", 0.6)
    assert record["problems"] == [
        "applications.granted.natural_person: OCR read '0' (confidence 0.6); 8 is the one close reading the checks confirm"]


def test_a_doubtful_reading_no_check_confirms_is_null_and_named():
    # 4 and 4 agree with each other (row total) but not with the column (8 needed);
    # no close reading of "4" gives 8
    record = _ocr_record({"granted.natural_person": ("4", 0.6), "granted.total": ("4", 0.6)})
    confirm.settle(record)
    table = record["tables"]["applications"]
    assert table["granted"]["natural_person"] == {"value": None, "raw": "4", "confidence": 0.6}
    assert table["granted"]["total"]["value"] is None
    assert "applications.granted.natural_person: OCR read '4' (confidence 0.6), not confirmed by the checks; " \
           "value left null" in record["problems"]


def test_two_doubtful_readings_the_checks_confirm_together():
    record = _ocr_record({"granted.natural_person": ("8", 0.6), "granted.total": ("8", 0.6),
                          "handled_total.natural_person": ("8", 0.6), "handled_total.total": ("8", 0.6)})
    confirm.settle(record)
    assert [record["tables"]["applications"][r][c]["value"] for r in ("granted", "handled_total")
            for c in ("natural_person", "total")] == [8, 8, 8, 8]
    assert record["problems"] == []


def test_a_doubtful_reading_the_checks_confirm_is_kept_and_not_named():
    record = _ocr_record({"granted.natural_person": ("8", 0.7)})
    confirm.settle(record)
    assert record["tables"]["applications"]["granted"]["natural_person"]["value"] == 8
    assert record["problems"] == []


def test_confident_reading_against_the_checks_is_not_trusted():
    record = _ocr_record({"granted.natural_person": ("6", 0.97)})
    confirm.settle(record)
    assert record["tables"]["applications"]["granted"]["natural_person"]["value"] is None
    assert record["problems"][0].startswith("applications.granted.natural_person: OCR read '6' (confidence 0.97) "
                                            "but the checks fail and 8 would make them hold")


def test_repaired_readings_are_doubtful():
    assert (scanned.as_read("’0", 0.99), scanned.as_read("’0", 0.99).confidence) == ("0", 0.5)
    assert (scanned.as_read("O", 0.9), scanned.as_read("-12", 0.9).confidence) == ("0", 0.9)
    assert scanned.as_read("行政复议", 0.9) == "行政复议"


# --- bounds and absence ----------------------------------------------------------------


def test_without_the_ocr_engine_the_problem_says_how_to_install_it(monkeypatch):
    def missing():
        raise ocr.OcrUnavailable(f"the OCR engine (RapidOCR) is not installed: {ocr.INSTALL_HINT}")

    monkeypatch.setattr(ocr, "engine", missing)
    got = parse_document(_scan("2021", 200), source="scan.pdf", filename="scan.pdf")
    assert got["problems"][0] == ("ocr: pages 1, 2 have no text layer and were not read: the OCR engine "
                                  "(RapidOCR) is not installed: pip install rapidocr-onnxruntime==1.4.4")


def test_the_ocr_time_budget_stops_and_names_the_pages_left(monkeypatch):
    monkeypatch.setattr(scanned, "SECONDS_PER_PAGE", 0.0)
    got = parse_document(_scan("2021", 200), source="scan.pdf", filename="scan.pdf")
    assert got["problems"][0] == "ocr: pages 1, 2 not read: the OCR time limit (0 s) was reached"
    assert got["tables"] == {}
