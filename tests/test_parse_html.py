"""HTML reports of government CMSs against hand-written goldens (tests/fixtures/html).

Each golden is the full record: metadata, sections, every cell of the three
tables, every check and the problems. The numbers were typed by hand into
tests/fixtures/html/make_fixtures.py and the expected cells and checks derived
there without the parser.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from parsers import is_report, parse_document
from parsers.grid import MAX_COLSPAN, build_grid, cell_text
from parsers.html import read_html

FIXTURES = Path(__file__).parent / "fixtures" / "html"
NAMES = sorted(p.name.removesuffix(".golden.json") for p in FIXTURES.glob("*.golden.json"))
# The charset a server sent in its Content-Type header; every other page is parsed
# with none (the GBK page that declares UTF-8 in <meta> must be decoded right anyway).
HTTP_CHARSET = {"combined_table_2019_http_gbk": "GBK"}
CHROME_WORDS = ("无障碍", "长者专版", "当前位置", "您现在的位置", "您的位置", "微信", "微博", "分享到", "打印本页",
                "关闭窗口", "主办", "网站标识码", "_hmt", "1999-01-01")


def _parse(name: str) -> dict:
    data = (FIXTURES / f"{name}.html").read_bytes()
    charset = HTTP_CHARSET.get(name)
    content_type = f"text/html; charset={charset}" if charset else None
    record = parse_document(data, source=f"{name}.html", content_type=content_type)
    return json.loads(json.dumps(record, ensure_ascii=False))


def _golden(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.golden.json").read_text(encoding="utf-8"))


def test_there_are_enough_fixtures():
    assert len(NAMES) >= 6


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    got, want = _parse(name), _golden(name)
    assert list(got) == ["source", "title", "organization", "year", "published", "format",
                         "sections", "tables", "checks", "problems"]
    for key in ("source", "title", "organization", "year", "published", "format", "problems"):
        assert got[key] == want[key], key


@pytest.mark.parametrize("name", NAMES)
def test_every_cell(name):
    got, want = _parse(name)["tables"], _golden(name)["tables"]
    assert got.keys() == want.keys()
    for table, rows in want.items():
        if table == "review_litigation":
            assert got[table].keys() == rows.keys()
            for col, cell in rows.items():
                assert got[table][col] == cell, f"{table}.{col}"
            continue
        assert list(got[table]) == list(rows), table  # every row, in printed order
        for row, cells in rows.items():
            assert got[table][row].keys() == cells.keys(), f"{table}.{row}"
            for col, cell in cells.items():
                assert got[table][row][col] == cell, f"{table}.{row}.{col}"


@pytest.mark.parametrize("name", NAMES)
def test_checks(name):
    got, want = _parse(name)["checks"], _golden(name)["checks"]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w


@pytest.mark.parametrize("name", NAMES)
def test_sections(name):
    got, want = _parse(name)["sections"], _golden(name)["sections"]
    assert list(got) == list(want)
    for key, text in want.items():
        assert got[key] == text, key


@pytest.mark.parametrize("name", NAMES)
def test_page_chrome_is_not_in_the_text(name):
    reading = read_html((FIXTURES / f"{name}.html").read_bytes(), source=name, http_charset=HTTP_CHARSET.get(name))
    for word in CHROME_WORDS:
        assert word not in reading.text, word


def test_the_reports_are_reports_and_the_news_is_not():
    for name in NAMES:
        assert is_report(_parse(name)) == (name != "news_not_report"), name


def test_failed_and_not_checkable_checks_are_recorded():
    failed = [c for c in _parse("hanweb_2019_gbk")["checks"] if c["status"] == "failed"]
    assert [(c["rule"], c["column"], c["left"], c["right"]) for c in failed] == [
        ("balance", "natural_person", 32, 31), ("balance", "total", 38, 37)]
    blank = [c for c in _parse("trs_2021_utf8")["checks"] if c["status"] == "not_checkable"]
    assert {c["rule"] for c in blank} == {"handled_sum", "row_total"}
    assert {c["column"] for c in blank if c["rule"] == "row_total"} == {"other_unpaid_fee", "other_other"}


def test_gbk_declared_as_utf8_decodes_without_a_header():
    data = (FIXTURES / "gbk_declared_utf8_2021.html").read_bytes()
    assert b'charset="utf-8"' in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    reading = read_html(data, source="x", http_charset=None)
    assert reading.problems == [] and "生态环境局" in reading.text


def test_undecodable_bytes_are_counted():
    data = "<html><body><div id='zoom'><p>一、总体情况</p><p>正文正文正文</p></div></body></html>".encode() + b"\xff\xfe\xff"
    reading = read_html(b"<p>" + b"\x81" + data, source="x", http_charset="utf-8")
    assert any(p.startswith("decode: ") and "replaced" in p for p in reading.problems)


def test_an_empty_page_is_named_not_hidden():
    record = parse_document(b"<html><body></body></html>", source="empty.html", filename="empty.html")
    assert record["tables"] == {} and record["sections"] == {}
    assert "sections: no part headings (一、总体情况 …) found; not a report?" in record["problems"]
    assert any(p.startswith("html: ") for p in record["problems"])


OLD_FORMAT_2018 = """<html><head><meta name="ArticleTitle" content="某县人民政府2018年政府信息公开工作年度报告"></head>
<body><div class="TRS_Editor">
<p>一、概述</p><p>2018年，我县认真做好政府信息公开工作。</p>
<p>二、主动公开政府信息情况</p><p>全年主动公开信息1234条。</p>
<p>三、依申请公开政府信息情况</p>
<table><tr><td>指标</td><td>单位</td><td>数量</td></tr>
<tr><td>收到申请数</td><td>件</td><td>12</td></tr>
<tr><td>其中：同意公开答复数</td><td>件</td><td>8</td></tr>
<tr><td>同意部分公开答复数</td><td>件</td><td>2</td></tr>
<tr><td>因政府信息公开申请提起行政复议数</td><td>件</td><td>0</td></tr></table>
<p>四、政府信息公开的收费及减免情况</p><p>无。</p>
<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p><p>无。</p>
<p>六、政府信息公开工作存在的主要问题及改进情况</p><p>有待提高。</p>
<p>七、其他需要报告的事项</p><p>无。</p>
</div></body></html>"""


def test_an_old_format_table_is_not_mapped_onto_the_template():
    # 同意部分公开答复数 / 行政复议数 share words with the template; they are not its rows
    record = parse_document(OLD_FORMAT_2018.encode(), source="old.html")
    assert (record["year"], record["format"], record["tables"], record["checks"]) == (2018, "pre-2019", {}, [])
    assert record["problems"] == [
        "html: the applications table is not the national template's; not mapped",
        "html: the review_litigation table is not the national template's; not mapped",
    ]
    assert record["sections"]["active_disclosure"] == "全年主动公开信息1234条。"


def test_a_page_without_container_headings_or_tables_falls_back_to_trafilatura():
    page = ("<html><head><title>某县召开会议_某县人民政府</title></head><body><div class='nav'>首页 政务公开</div>"
            "<div class='x'><p>2023年3月1日，某县召开政务公开会议，会议强调要做好信息公开工作。"
            "会议要求各部门加强协调配合，抓好工作落实。</p></div></body></html>")
    record = parse_document(page.encode(), source="news.html")
    assert record["title"] == "某县召开会议" and record["published"] == "2023-03-01"
    assert record["problems"][0] == "html: no report container, headings or tables found; prose from trafilatura"
    assert not is_report(record)


# --- The grid -------------------------------------------------------------------------


def _table(html: str) -> etree._Element:
    return etree.fromstring(f"<html><body><table>{html}</table></body></html>", etree.HTMLParser()).find(".//table")


def test_spans_are_placed_once_at_their_top_left():
    grid = build_grid(_table(
        '<tr><td rowspan="2" colspan="2">a</td><td>b</td></tr>'
        "<tr><td>c</td></tr>"
        '<tr><td>d</td><td colspan="2">e</td></tr>'
    ))
    assert grid.printed_rows() == [["a", "b"], ["c"], ["d", "e"]]
    assert [(c.text, c.row, c.col) for c in grid.cells] == [("a", 0, 0), ("b", 0, 2), ("c", 1, 2), ("d", 2, 0),
                                                             ("e", 2, 1)]
    assert grid.slots() == [[0, 0, 1], [0, 0, 2], [3, 4, 4]]


def test_absurd_spans_are_cut():
    grid = build_grid(_table('<tr><td rowspan="65534" colspan="100000">a</td></tr><tr><td>b</td></tr>'))
    assert grid.cells[0].rowspan == 2 and grid.cells[0].colspan == MAX_COLSPAN
    assert grid.printed_rows() == [["a"], ["b"]]
    grid = build_grid(_table('<tr><td rowspan="9">a</td><td>b</td></tr><tr><td>c</td></tr>'))
    assert grid.problems == ["html: a rowspan reaches past the end of its table; cut at the last row"]


@pytest.mark.parametrize(("html", "text"), [
    ("<td><p>商业</p><p>企业</p></td>", "商业企业"),
    ("<td>\n  <p>商业</p>\n  <p>企业</p>\n</td>", "商业企业"),
    ("<td>结果<br/>纠正</td>", "结果纠正"),
    ("<td>法律服务\n机构</td>", "法律服务机构"),
    ("<td>&nbsp;</td>", ""),
    ("<td><p><span>25829.67 (万元)</span></p></td>", "25829.67 (万元)"),
    ("<td><p>三</p><p>、</p><p>本</p><p>年</p></td>", "三、本年"),
])
def test_cell_text(html, text):
    assert cell_text(_table(f"<tr>{html}</tr>").find(".//td")) == text
