"""Page classes and discovery rules on saved pages (tests/fixtures/crawler/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler import discovery
from crawler.charset import repair_encoding
from crawler.pages.base import SelectorCountError
from crawler.pages.hanweb import HanwebListing, HanwebProxyResponse
from crawler.pages.html import HtmlPage
from crawler.pages.jsonapi import JsonListing
from crawler.pages.trs import TrsPager
from crawler.spiders import hanweb, jsonapi, static, trs

FIXTURES = Path(__file__).parent / "fixtures" / "crawler"


def page(name: str, url: str, encoding: str = "utf-8") -> HtmlPage:
    return HtmlPage((FIXTURES / name).read_bytes().decode(encoding), url)


# --- discovery rules ----------------------------------------------------------------

@pytest.mark.parametrize("title, year", [
    ("河南省人民政府2020年政府信息公开工作年度报告", 2020),
    ("2019年度郑州市政府信息公开年度报告", 2019),
    ("河南省教育厅2022年度政府信息公开工作年报", 2022),
    ("平潭综合实验区2021年 政府信息公开工作年度报告", 2021),
    ("郑州市人民政府2018年政府信息公开工作年度报告 - 郑州市人民政府门户网站", 2018),
    ("洛阳市财政局2023年政府信息公开工作年度报告.pdf", 2023),
    ("关于2020年政府信息公开工作年度报告的解读", None),
    ("图解：河南省人民政府2021年政府信息公开工作年度报告", None),
    ("关于做好2020年政府信息公开工作年度报告编制工作的通知", None),
    ("河南省人民政府召开2021年度政府信息公开工作年度报告编制培训会", None),
    ("国务院办公厅政府信息公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知", None),
    ("2020年政府工作报告", None),
    ("2020年法治政府建设年度报告", None),
])
def test_report_titles(title, year):
    assert discovery.report_year(title) == year


def test_attachment_and_skip_rules():
    assert discovery.is_attachment("http://x/a/P020200120.pdf")
    assert discovery.is_attachment("http://x/a/b.WPS")
    assert not discovery.is_attachment("http://x/a/b.html")
    assert discovery.is_skipped("javascript:void(0)")
    assert discovery.is_skipped("http://x/images/logo.png")
    assert not discovery.is_skipped("http://x/zwgk/zfxxgknb/")


# --- TRS ----------------------------------------------------------------------------

def test_trs_plain_form_pages_the_column():
    p = page("trs_column.html", "http://h/zwgk/ndbg/")
    assert p.is_column()
    # page 0 (index.html) is the directory URL we are on
    assert trs.follow(p) == [trs.Follow("http://h/zwgk/ndbg/index_1.html", "pager")]
    items = [f for f in static.follow(p.links(), column=True) if f.role == "item"]
    reports = [f.url for f in items if discovery.is_report_title(f.text)]
    assert len(reports) == 6  # 2019–2024, the decoys (通知, 格式, 图解, 培训会) are not
    assert "http://h/zwgk/ndbg/202301/t20230112_1007.html" in reports


def test_trs_div_form_gbk_page():
    p = page("trs_column_divform.html", "http://h/zwgk/ndbg/index_1.html", encoding="gbk")
    assert [f.url for f in trs.follow(p)] == ["http://h/zwgk/ndbg/index.html", "http://h/zwgk/ndbg/index_2.html"]


def test_trs_real_shape_with_variables_and_truncated_titles():
    p = page("trs_real_shape.html", "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/")
    assert p.is_column()
    assert [f.url.rsplit("/", 1)[1] for f in trs.follow(p)] == ["index_1.shtml", "index_2.shtml"]
    follows = static.follow(p.links(), column=True)
    by_role = {}
    for f in follows:
        by_role.setdefault(f.role, []).append(f.url.rsplit("/", 1)[1])
    # title= carries the full title where the text is cut with "..."
    assert "t20200120_80576.htm" in by_role["item"]
    assert by_role["attachment"] == ["P020200120399473457890.pdf"]
    assert not any(u.startswith(("javascript", "mailto")) for u in sum(by_role.values(), []))


def test_trs_pager_ignores_the_function_definition_and_refuses_absurd_counts():
    assert not TrsPager("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}", "http://h/").found
    with pytest.raises(SelectorCountError):
        TrsPager('createPageHTML(100000, 0, "index", "html");', "http://h/").page_urls()


def test_report_page_wrapper_and_decoy():
    report = page("trs_report_page.html", "http://h/zwgk/ndbg/202301/t20230112_1007.html")
    assert report.report_year() == 2022 and not report.is_wrapper()
    wrapper = page("trs_wrapper_page.html", "http://h/zwgk/ndbg/201802/t20180227_1002.html")
    assert wrapper.report_year() == 2017 and wrapper.is_wrapper()
    assert [link.url for link in wrapper.links() if discovery.is_attachment(link.url)] == [
        "http://h/zwgk/ndbg/201802/P020180227001002.pdf"]
    news = page("trs_decoy_news.html", "http://h/zwgk/ndbg/202301/t20230119_1029.html")
    assert news.report_year() is None


# --- Hanweb -------------------------------------------------------------------------

def test_hanweb_column_records_and_proxy_windows():
    text = (FIXTURES / "hanweb_column.html").read_text(encoding="utf-8")
    listing = HanwebListing(text, "http://h/col/col1101/index.html")
    assert len(listing.links()) == 45  # three pages of 15 embedded in the page
    assert listing.proxy_params()["columnid"] == "1101"
    urls = listing.proxy_urls()
    assert len(urls) == 2  # totalRecord 55 in windows of 45
    assert "startrecord=46&endrecord=55&perpage=15" in urls[1] and "columnid=1101" in urls[1]
    follows = hanweb.follow(text, "http://h/col/col1101/index.html")
    assert sum(f.role == "proxy" for f in follows) == 2


def test_hanweb_dataproxy_answer():
    xml = (FIXTURES / "hanweb_dataproxy.xml").read_text(encoding="utf-8")
    url = "http://h/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15&columnid=1101&col=1"
    answer = HanwebProxyResponse(xml, url)
    assert answer.total == 55
    links = answer.links()
    assert len(links) == 10
    assert links[0].url == "http://h/art/2017/2/1/art_1101_1064.html"
    assert answer.more_urls() == []  # not the first window: no fan-out


def test_hanweb_proxy_first_window_fans_out_when_total_was_unknown():
    xml = "<datastore><totalrecord>100</totalrecord><recordset></recordset></datastore>"
    answer = HanwebProxyResponse(xml, "http://h/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15&columnid=7")
    more = answer.more_urls()
    assert [u.split("?")[1].split("&perpage")[0] for u in more] == [
        "startrecord=46&endrecord=90", "startrecord=91&endrecord=100"]


# --- JSON API -----------------------------------------------------------------------

def test_json_shell_names_its_api():
    text = (FIXTURES / "json_column.html").read_text(encoding="utf-8")
    p = HtmlPage(text, "http://h/xxgk/ndbg/index.html")
    assert p.is_column()
    assert jsonapi.follow(p, text) == [jsonapi.Follow("http://h/api/list?channel=ndbg", "api")]


def test_json_listing_records_and_pages():
    text = (FIXTURES / "json_page1.json").read_text(encoding="utf-8")
    listing = JsonListing(text, "http://h/api/list?channel=ndbg")
    links = listing.links()
    assert len(links) == 12
    assert links[0].url == "http://h/xxgk/ndbg/content/post_1095.html"
    assert listing.page_count == 4
    assert listing.page_urls() == [f"http://h/api/list?channel=ndbg&page={n}" for n in (2, 3, 4)]
    page2 = JsonListing(text, "http://h/api/list?channel=ndbg&page=2")
    assert page2.page_urls() == []  # only the first page fans out


def test_json_listing_other_vendor_shape():
    text = '{"result": {"pageCount": 3, "list": [{"doctitle": "某县2020年政府信息公开工作年度报告", "docpuburl": "/a/1.html"}]}}'
    listing = JsonListing(text, "http://h/getList.do?pageNo=1")
    assert listing.links()[0].url == "http://h/a/1.html"
    assert listing.page_urls() == ["http://h/getList.do?pageNo=2", "http://h/getList.do?pageNo=3"]
    with pytest.raises(SelectorCountError):
        JsonListing("<html>not json</html>", "http://h/api")


# --- static ---------------------------------------------------------------------------

def test_static_portal_root_navigation():
    p = page("static_index.html", "http://h/")
    nav = [f.url for f in static.follow(p.links(), column=False) if f.role == "nav"]
    assert "http://h/ndbg/index.htm" in nav and "http://h/bmndbg/index.htm" in nav
    assert not any("col2" in u for u in nav)  # 政务服务 and the like lead nowhere near reports


def test_static_listing_pager_links():
    p = page("static_column.html", "http://h/ndbg/index.htm")
    pagers = {f.url for f in static.follow(p.links(), column=True) if f.role == "pager"}
    assert pagers == {"http://h/ndbg/index_2.htm"}


def test_mislabeled_gbk_page_is_decoded_as_gbk():
    body = (FIXTURES / "gbk_mislabeled.html").read_bytes()
    fixed = repair_encoding(body, "utf-8")
    assert fixed in ("gbk", "gb18030")
    p = HtmlPage(body.decode(fixed), "http://h/ndbg/index.htm")
    assert p.is_column()
    assert sum(discovery.is_report_title(link.text) for link in p.links()) >= 4
    assert repair_encoding("年报".encode(), "utf-8") is None  # a true declaration is kept
