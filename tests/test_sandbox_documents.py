"""Report documents as served: HTML tables with the spec's grid, PDF text that
pdfplumber extracts, DOCX tables — all carrying the ground-truth numbers."""

from __future__ import annotations

import io
import re
import urllib.request

import lxml.html
import pytest

from parsers import keys
from sandbox import server


@pytest.fixture(scope="module")
def sandbox():
    handle = server.start(seed=11, slow_seconds=0)
    yield handle
    handle.stop()


def get(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.headers, r.read()


def grid(table) -> list[list[tuple[str, object]]]:
    """Expand rowspan/colspan: each grid cell is (text, the <td> it comes from)."""
    out: dict[tuple[int, int], tuple[str, object]] = {}
    for r, tr in enumerate(table.xpath("./tbody/tr | ./tr")):
        c = 0
        for td in tr.xpath("./td | ./th"):
            while (r, c) in out:
                c += 1
            text = re.sub(r"\s+", "", td.text_content().replace("\xa0", " "))
            for dr in range(int(td.get("rowspan", 1))):
                for dc in range(int(td.get("colspan", 1))):
                    out[(r + dr, c + dc)] = (text, td)
            c += int(td.get("colspan", 1))
    rows = max(r for r, _ in out) + 1
    cols = max(c for _, c in out) + 1
    return [[out.get((r, c), ("", None)) for c in range(cols)] for r in range(rows)]


def _need_cjk_font() -> None:
    from sandbox.render_pdf import FontMissing, font_path

    try:
        font_path()
    except FontMissing as exc:  # CI installs fonts-wqy-microhei; say so rather than fail obscurely
        pytest.skip(str(exc))


def _reports(handle, **want):
    return [r for r in handle.world.reports if r.expected
            and all(getattr(r, k) == v for k, v in want.items())]


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_html_applications_table_has_the_spec_grid_and_numbers(sandbox, fmt):
    reports = _reports(sandbox, kind="html", format=fmt)[:25]
    assert reports
    for report in reports:
        headers, body = get(report.url)
        doc = lxml.html.fromstring(body.decode(report.site.charset))
        tables = doc.xpath("//table")
        assert len(tables) == 3
        apps = tables[1]
        g = grid(apps)
        assert all(len(row) == 10 for row in g)
        note = g[0][0][1]
        assert (note.get("rowspan"), note.get("colspan")) == ("3", "3") and "勾稽" in g[0][0][0]
        handled_td = g[5][0][1]
        assert handled_td.get("rowspan") == ("20" if fmt == "2019" else "22")
        assert re.sub(r"<br/?>", "", g[5][0][0]) .startswith("三")
        rows = keys.row_keys("applications", fmt)
        assert len(g) == 3 + len(rows)
        truth = report.record["tables"]["applications"]
        for i, key in enumerate(rows):
            printed = [text for text, _ in g[3 + i][3:]]
            assert printed == [truth[key][c]["raw"] for c in keys.APPLICATION_COLUMNS], (report.url, key)
        review = grid(tables[2])
        assert len(review) == 4 and len(review[3]) == 15
        assert [t for t, _ in review[3]] == [report.record["tables"]["review_litigation"][c]["raw"]
                                             for c in keys.REVIEW_COLUMNS]
        assert review[0][0][1].get("colspan") == "5" and review[0][5][1].get("colspan") == "10"


def test_html_quirks_are_printed(sandbox):
    html_reports = _reports(sandbox, kind="html")
    tabled = [r for r in html_reports if r.format != "pre-2019"]

    def page(r):
        return get(r.url)[1].decode(r.site.charset)

    split = next(r for r in tabled if "split_headers" in r.quirks)
    assert "商业</p><p>企业" in page(split)
    comma = next(r for r in tabled if "enum_comma" in r.quirks and "vertical_labels" not in r.quirks)
    assert "1、属于国家秘密" in page(comma)
    typo = next(r for r in tabled if "label_typos" in r.quirks)
    assert "三类内容事务信息" in page(typo)
    nbsp = next(r for r in tabled if {"nbsp_blanks", "blank_cells"} <= set(r.quirks))
    assert "<p align=\"center\">&nbsp;</p>" in page(nbsp)
    vertical = next(r for r in tabled if "vertical_labels" in r.quirks)
    assert "三<br/>、<br/>本<br/>年" in page(vertical)
    wide = next(r for r in tabled if "wide_grid" in r.quirks and r.format == "2019")
    table = lxml.html.fromstring(page(wide)).xpath("//table")[0]
    assert any(td.get("colspan") == "2" and "本年新公开数量" in td.text_content() for td in table.iter("td"))
    money = [r for r in tabled if r.format == "2019"
             and r.record["tables"]["active_disclosure"]["procurement"]["amount"].get("unit") == "元"]
    raw = money[0].record["tables"]["active_disclosure"]["procurement"]["amount"]["raw"]
    assert re.fullmatch(r"\d+元", raw) and raw in page(money[0])


def test_pdf_reports_have_extractable_text_with_the_numbers(sandbox):
    pdfplumber = pytest.importorskip("pdfplumber")
    _need_cjk_font()
    picks = [_reports(sandbox, kind="pdf", format=f)[0] for f in ("2019", "2021", "pre-2019")]
    for report in picks:
        headers, data = get(report.url)
        assert data.startswith(b"%PDF-")
        assert headers.get_content_type() in ("application/pdf", "application/octet-stream")
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            text = "\n".join(p.extract_text() or "" for p in pdf.pages)
        assert report.title in text and report.body.name in text
        rec = report.record
        if report.format == "pre-2019":
            assert str(rec["sections"]["overview"].split("\n")[0][:30]) in text.replace("\n", "")
            continue
        apps = rec["tables"]["applications"]
        for key, cols in apps.items():
            raws = [cols[c]["raw"] for c in keys.APPLICATION_COLUMNS]
            if all(raws):
                assert " ".join(raws) in text, (report.url, key)
        for g in keys.REVIEW_GROUPS:
            raws = [rec["tables"]["review_litigation"][f"{g}_{o}"]["raw"] for o in keys.OUTCOMES]
            assert f"{keys.REVIEW_GROUP_LABELS[g]} {' '.join(raws)}" in text
        active = rec["tables"]["active_disclosure"]
        penalty = " ".join(active["penalty"][c]["raw"] for c in keys.active_columns(report.format, "penalty"))
        assert f"行政处罚 {penalty}" in text


def test_docx_reports_carry_the_numbers_in_tables(sandbox):
    import docx

    for fmt in ("2019", "2021"):
        report = _reports(sandbox, kind="docx", format=fmt)[0]
        headers, data = get(report.url)
        assert data[:2] == b"PK"
        document = docx.Document(io.BytesIO(data))
        assert document.paragraphs[0].text == report.title
        active, apps, review = document.tables
        truth = report.record["tables"]
        rows = keys.row_keys("applications", fmt)
        assert len(apps.rows) == 3 + len(rows)
        for i, key in enumerate(rows):
            cells = [c.text for c in apps.rows[3 + i].cells][3:]
            assert cells == [truth["applications"][key][c]["raw"] for c in keys.APPLICATION_COLUMNS]
        assert [c.text for c in review.rows[3].cells] == [truth["review_litigation"][c]["raw"]
                                                          for c in keys.REVIEW_COLUMNS]
        penalty = next(r for r in active.rows if r.cells[0].text == "行政处罚")
        assert penalty.cells[-1].text == truth["active_disclosure"]["penalty"]["decisions"]["raw"]


def test_attachment_wrappers_and_octet_stream(sandbox):
    _need_cjk_font()
    trs_pdf = next(r for r in _reports(sandbox, kind="pdf") if r.site.cms == "trs")
    _, page = get(trs_pdf.site.base_url + trs_pdf.page_path)
    assert f'附件：<a href="{trs_pdf.path}"'.encode(trs_pdf.site.charset) in page
    octet = next(r for r in _reports(sandbox, kind="pdf") if r.site.slug == "fujian-quanzhou")
    headers, data = get(octet.url)
    assert headers.get_content_type() == "application/octet-stream"
    assert "attachment; filename*=UTF-8''" in headers["Content-Disposition"] and data.startswith(b"%PDF-")


def test_documents_are_byte_identical_across_servers(sandbox):
    report = _reports(sandbox, kind="docx")[0]
    html_report = _reports(sandbox, kind="html")[0]
    with server.start(seed=11, slow_seconds=0, port=0) as other:
        twin = other.world.report_by_url(report.url.replace(str(sandbox.port), str(other.port)))
        assert get(twin.url)[1] == get(report.url)[1]
        html_twin = other.world.report_by_url(html_report.url.replace(str(sandbox.port), str(other.port)))
        assert get(html_twin.url)[1] == get(html_report.url)[1]
