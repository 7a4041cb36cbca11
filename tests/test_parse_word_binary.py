"""Word 97-2003 (.doc) and WPS (.wps) reports, made by LibreOffice from the
sandbox's DOCX of a report in each template, parse to the report's record:
every cell (blank cells null, merged cells once), title, body, year, date."""

from __future__ import annotations

import pytest

from parsers import office, parse_document
from tests.format_inputs import assert_same_cells, cached, reports

TEMPLATES = ("2021", "2019", "pre-2019")


def _doc(template: str) -> bytes:
    from sandbox import render_formats

    return cached(f"{template}.doc", lambda: render_formats.doc(reports()[template]))


@pytest.mark.parametrize("ext", [".doc", ".wps"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_word97_and_wps_every_cell(template, ext):
    report = reports()[template]
    got = parse_document(_doc(template), source=f"report{ext}", filename=f"report{ext}")
    want = report.record
    assert (got["title"], got["organization"], got["year"], got["published"], got["format"]) == (
        want["title"], want["organization"], want["year"], want["published"], want["format"])
    assert got["problems"] == []
    assert_same_cells(got, want)
    assert [(c["rule"], c["column"], c["status"]) for c in got["checks"]] == [
        (c["rule"], c["column"], c["status"]) for c in parse_document(
            _docx(report), source="r.docx", filename="r.docx")["checks"]]


def _docx(report) -> bytes:
    from sandbox import render_docx

    return render_docx.render(report)


def test_without_libreoffice_the_problem_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("NIANBAO_SOFFICE", "/nonexistent/soffice")
    office.soffice.cache_clear()
    try:
        got = parse_document(_doc("2021"), source="report.doc", filename="report.doc")
    finally:
        office.soffice.cache_clear()
    assert got["tables"] == {}
    assert got["problems"][0] == (
        "format: Word 97-2003 / WPS binary document (.doc/.wps) not read: LibreOffice (soffice) is not "
        "installed, so .doc/.wps files cannot be read; install it: "
        "apt-get install --no-install-recommends libreoffice-writer-nogui")


def test_conversion_is_stopped_at_its_time_limit():
    if office.soffice() is None:
        pytest.skip("LibreOffice is not installed")
    with pytest.raises(office.ConversionError, match="did not convert the document within 0 s"):
        office.to_docx(_doc("2021"), seconds=0.01)
