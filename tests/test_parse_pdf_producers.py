"""Text PDFs from other producers than the sandbox's fpdf2: the report's HTML
page printed by headless Chromium (portal chrome, tables broken across pages,
rows moved whole to the next page) and its DOCX exported by LibreOffice
(narrow columns, rows broken across pages with the label's end on the next
page, the rowspan column printed again blank). Every cell as the ground truth."""

from __future__ import annotations

import pytest

from parsers import parse_document
from tests.format_inputs import assert_same_cells, cached, reports

TEMPLATES = ("2021", "2019", "pre-2019")
PRODUCERS = ("chromium", "libreoffice")


def _pdf(template: str, producer: str) -> bytes:
    from sandbox import render_formats

    make = render_formats.chromium_pdf if producer == "chromium" else render_formats.libreoffice_pdf
    return cached(f"{template}-{producer}.pdf", lambda: make(reports()[template]))


@pytest.mark.parametrize("producer", PRODUCERS)
@pytest.mark.parametrize("template", TEMPLATES)
def test_pdf_from_producer_every_cell(template, producer):
    want = reports()[template].record
    got = parse_document(_pdf(template, producer), source="report.pdf", filename="report.pdf")
    assert (got["title"], got["organization"], got["year"], got["published"], got["format"]) == (
        want["title"], want["organization"], want["year"], want["published"], want["format"])
    assert got["problems"] == []
    assert_same_cells(got, want)
    assert sorted((c["rule"], c["column"], c["status"]) for c in got["checks"]) == sorted(
        (c["rule"], c["column"], c["status"]) for c in want["checks"])
    assert "metadata_from" not in got  # the date is the signature's (or the page's printed 发布时间)


def test_a_row_broken_by_the_page_break_is_one_row():
    from parsers.pdf import _join_broken_row

    before = [["(三)不予公开", "1.属于国家秘密", "0", "0"], ["(四)无法提", "1.本机关", "6", "11"]]
    after = [["", "供", "不掌握相关政府信息", "", ""], ["2.没有现成信息", "0", "0", "0"]]
    rest = _join_broken_row(before, after)
    assert before[-1] == ["(四)无法提供", "1.本机关不掌握相关政府信息", "6", "11"]
    assert rest == [["2.没有现成信息", "0", "0", "0"]]
    # a row whose label is on one page and its numbers on the next
    before = [["(一)予以公开", "1", "1"], ["(二)部分公开(区分处理的,只计这一情形,", "", ""]]
    after = [["不计其他情形)", "3", "3"]]
    assert _join_broken_row(before, after) == [] and before[-1] == ["(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "3", "3"]
    # two full rows are not joined
    before, after = [["a", "1"]], [["b", "2"]]
    assert _join_broken_row(before, after) == [["b", "2"]] and before == [["a", "1"]]
