"""PDF reports as the sandbox publishes them (ruled tables, blank cells,
part 4 printed as three rows of five): every cell equals the ground truth."""

from __future__ import annotations

import pytest

from parsers import parse_document

pytest.importorskip("fpdf")
from sandbox import render_pdf, world  # noqa: E402

try:
    render_pdf.font_path()
except render_pdf.FontMissing as exc:  # CI installs fonts-wqy-microhei (Makefile system-deps)
    pytest.skip(str(exc), allow_module_level=True)

REPORTS = [r for r in world.build_world(seed=0).reports if r.kind == "pdf" and r.expected]


@pytest.mark.parametrize("report", REPORTS[::4], ids=lambda r: r.url.rsplit("/", 1)[-1])
def test_sandbox_pdf_every_cell(report):
    got = parse_document(render_pdf.render(report), source=report.url, filename="report.pdf")
    want = report.record
    assert (got["title"], got["organization"], got["year"], got["format"]) == (
        want["title"], want["organization"], want["year"], want["format"])
    for table in ("active_disclosure", "applications"):
        assert got["tables"].get(table, {}).keys() == want["tables"].get(table, {}).keys()
        for row, cells in want["tables"].get(table, {}).items():
            assert {c: v["value"] for c, v in got["tables"][table][row].items()} == {
                c: v["value"] for c, v in cells.items()}, (table, row)
    assert {c: v["value"] for c, v in got["tables"].get("review_litigation", {}).items()} == {
        c: v["value"] for c, v in want["tables"].get("review_litigation", {}).items()}
