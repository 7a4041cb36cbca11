"""A host's identity from its home page (crawler/sites.py): variations of the 网站标识码,
of the names sites give themselves, of titles, charsets and ambiguous place names."""

from __future__ import annotations

import pytest

from crawler import sites as S
from crawler.resolve import ResolveError, chromium_rules, mapping, parse_entry
from parsers.decode import decode_html


def page(title: str = "", head: str = "", body: str = "") -> str:
    return f"<html><head>{head}<title>{title}</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("head, body, want", [
    ('<meta name="SiteIDCode" content="4401000001">', "", "4401000001"),
    ("<meta name=siteidcode content=4401130002>", "", "4401130002"),
    ("<META NAME='SiteIdCode' CONTENT='4400000064'>", "", "4400000064"),
    ('<meta content="4402000003" name="SiteIDCode" />', "", "4402000003"),
    ("", "<p>网站标识码：4401000001 粤ICP备05012345号</p>", "4401000001"),
    ("", "<p>网站标识码:4401000001</p>", "4401000001"),
    ("", "<span>网站识别码 4402320001</span>", "4402320001"),
    ("", "<p>网站标识码：bm05000001</p>", "bm05000001"),
    ('<meta name="SiteIDCode" content="">', "<p>网站标识码：4401000001</p>", "4401000001"),
    ("", "<p>粤ICP备05012345号</p>", ""),
])
def test_site_id_code_in_meta_and_footer_spellings(head, body, want):
    assert S.site_id_code(page("x", head, body)) == want


@pytest.mark.parametrize("code, want", [
    ("4400000064", "44"), ("4401000001", "4401"), ("4401130002", "440113"), ("4402320001", "440232"),
    ("4419000001", "4419"),  # 东莞: a city without counties
    ("4401990001", "4401"),  # no county 440199: the city
    ("bm05000001", None), ("", None), ("12345", None), ("9900000001", None),
])
def test_division_of_a_site_id_code(code, want):
    assert S.division_of_id(code) == want


@pytest.mark.parametrize("title, head, anchor, within, want", [
    # (name, code, level, evidence)
    ("首页 - 广州市人民政府门户网站", '<meta name="SiteIDCode" content="4401000001">', "广州", "44",
     ("广州市人民政府", "4401", "city", "site_id_code")),
    ("广东省人民政府门户网站", '<meta name="SiteIDCode" content="4400000064">', "", "44",
     ("广东省人民政府", "44", "province", "site_id_code")),
    ("番禺区人民政府", "", "番禺区", "4401", ("番禺区人民政府", "440113", "county", "name")),
    ("欢迎访问乳源瑶族自治县人民政府网站", "", "", "4402", ("乳源瑶族自治县人民政府", "440232", "county", "name")),
    ("首页_广东省教育厅", "", "", "44", ("广东省教育厅", "44", "department", "name")),
    ("广州市发展和改革委员会", "", "", "4401", ("广州市发展和改革委员会", "4401", "department", "name")),
    ("广东省人民政府办公厅", "", "", "44", ("广东省人民政府办公厅", "44", "department", "name")),
    ("广州南沙经济技术开发区管理委员会", "", "", "4401",
     ("广州南沙经济技术开发区管理委员会", "440115", "zone", "name")),
    # the name refines the 网站标识码's city to the county
    ("番禺区教育局", '<meta name="SiteIDCode" content="4401000055">', "", "4401",
     ("番禺区教育局", "440113", "department", "site_id_code")),
    # a county-level city
    ("新郑市人民政府", "", "", "41", ("新郑市人民政府", "410184", "county", "name")),
    # a name in the link only (the page's title says nothing)
    ("首页", "", "广州市教育局", "4401", ("广州市教育局", "4401", "department", "name")),
    # <meta name="SiteName"> wins over the title
    ("欢迎您", '<meta name="SiteName" content="韶关市人民政府">', "", "44", ("韶关市人民政府", "4402", "city", "name")),
    # bracketed notes and a bare division name
    ("广州市（广州市人民政府门户网站）", "", "", "44", ("广州市", "4401", "city", "name")),
])
def test_identity_from_names_titles_and_codes(title, head, anchor, within, want):
    got = S.identify(page(title, head), "www.example.gov.cn", anchor=anchor, within=within)
    assert (got.name, got.code, got.level, got.evidence) == want


def test_same_county_name_in_two_provinces_needs_context():
    html = page("朝阳区人民政府")
    assert S.identify(html, "x.gov.cn") is None  # 北京 110105 or 长春 220104: unknown
    assert S.identify(html, "x.gov.cn", within="22").code == "220104"
    assert S.identify(html, "x.gov.cn", within="11").code == "110105"
    assert S.identify(page("鼓楼区人民政府"), "x", within="3501").code == "350102"  # 福州, not 南京/开封/徐州


def test_township_and_department_placed_by_the_linking_site_only_under_its_domain():
    shilou = page("石楼镇人民政府")
    got = S.identify(shilou, "shilou.panyu.gov.cn", within="440113", parent_host="www.panyu.gov.cn")
    assert (got.code, got.level, got.evidence) == ("440113", "township", "domain")
    # no kinship: 石楼 is also 山西's 石楼县 — never guessed
    assert S.identify(shilou, "www.shilou-tour.com", within="440113", parent_host="www.panyu.gov.cn") is None
    # the province's registered domains are kin too
    got = S.identify(page("教育局"), "jyj.gd.gov.cn", within="44", domains=("gd.gov.cn",))
    assert (got.code, got.level) == ("44", "department")
    # a township that names its county
    got = S.identify(page("番禺区石楼镇人民政府"), "x.com", within="4401")
    assert (got.code, got.level) == ("440113", "township")
    assert S.identify(page("石碁镇街道办事处"), "a.panyu.gov.cn", within="440113",
                      parent_host="www.panyu.gov.cn").level == "township"


@pytest.mark.parametrize("title, head, body, where", [
    ("湖南省人民政府门户网站", "", "<p>网站标识码：4300000001</p>", "other_province"),
    ("湖南省人民政府", "", "", "other_province"),
    ("中华人民共和国教育部", '<meta name="SiteIDCode" content="bm05000001">', "", "national"),
    ("国家统计局", "", "", "national"),
    ("南方网 - 广东新闻门户", "", "", "no_identity"),
    ("优选商城 - 政府采购 办公用品", "", "", "no_identity"),
    ("市辖区人民政府", "", "", "no_identity"),  # the NBS placeholder is no place
    ("广州市人民政府", "", "", "inside"),
])
def test_placement_against_the_province(title, head, body, where):
    assert S.placement(S.identify(page(title, head, body), "www.x.com", within="44"), "44") == where


def test_a_gbk_page_decoded_then_identified():
    html = page("首页 - 韶关市人民政府门户网站", '<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
                "<p>网站标识码：4402000001</p>")
    text, charset, _bad = decode_html(html.encode("gbk"), "gbk")
    got = S.identify(text, "www.sg.gov.cn", within="44")
    assert charset == "gb18030" and (got.name, got.code, got.level) == ("韶关市人民政府", "4402", "city")


@pytest.mark.parametrize("host, anchor, worth", [
    ("www.gz.gov.cn", "广州", True), ("www.moe.gov.cn", "教育部", True), ("www.southcn.com", "南方网", False),
    ("mall.example.com", "政府采购商城", True), ("weibo.com", "官方微博", False), ("127.0.1.5", "", True),
    ("www.panyu.gov.cn.", "番禺", False),
])
def test_worth_a_probe(host, anchor, worth):
    assert S.worth_probing(host, anchor) is worth


@pytest.mark.parametrize("host, slug", [
    ("www.gz.gov.cn", "guangdong-gz"), ("jyj.gz.gov.cn", "guangdong-jyj-gz"), ("edu.gd.gov.cn", "guangdong-edu-gd"),
    ("www.southcn.com", "guangdong-southcn"), ("127.0.1.20", "guangdong-127-0-1-20"), ("WWW.PANYU.GOV.CN", "guangdong-panyu"),
])
def test_slugs_from_hosts(host, slug):
    assert S.slug_for(host, "guangdong") == slug


def test_host_map_entries_and_settings():
    assert parse_entry("www.gd.gov.cn:127.0.1.20") == ("www.gd.gov.cn", "127.0.1.20")
    assert parse_entry("WWW.GD.GOV.CN:443:127.0.1.20") == ("www.gd.gov.cn", "127.0.1.20")  # curl's HOST:PORT:ADDR
    for bad in ("www.gd.gov.cn", "www.gd.gov.cn:", ":127.0.0.1", "a:b:c:d"):
        with pytest.raises(ResolveError):
            parse_entry(bad)
    want = {"www.gd.gov.cn": "127.0.1.20", "www.gz.gov.cn": "127.0.1.24"}
    assert mapping({"NIANBAO_RESOLVE": want}) == want
    assert mapping({"NIANBAO_RESOLVE": '{"www.gd.gov.cn": "127.0.1.20", "www.gz.gov.cn": "127.0.1.24"}'}) == want
    assert mapping({"NIANBAO_RESOLVE": "www.gd.gov.cn:127.0.1.20, www.gz.gov.cn:127.0.1.24"}) == want
    assert mapping({"NIANBAO_RESOLVE": ["www.gd.gov.cn:127.0.1.20", "www.gz.gov.cn:127.0.1.24"]}) == want
    assert mapping({}) == {} and chromium_rules({}) == ""
    assert chromium_rules({"NIANBAO_RESOLVE": want}) == "MAP www.gd.gov.cn 127.0.1.20, MAP www.gz.gov.cn 127.0.1.24"


def test_select_menus_whose_options_hold_urls():
    from crawler.pages.html import HtmlPage
    from crawler.spiders.sites import SITE_LIST_TEXT, options

    html = """<html><body>
    <select onchange="window.open(this.value)"><option value="">省政府部门</option>
      <option value="http://edu.gd.gov.cn/">广东省教育厅</option>
      <option value="//czt.gd.gov.cn/index.html"> 广东省财政厅 </option>
      <optgroup label="市"><option value="https://www.gz.gov.cn">广州市</option></optgroup></select>
    <select name="year"><option value="2023">2023</option><option value="javascript:void(0)">x</option></select>
    <select><option value="/zwgk/">政务公开</option></select></body></html>"""
    got = [(link.url, link.text) for link in options(HtmlPage(html, "https://www.gd.gov.cn/home/"))]
    assert got == [("http://edu.gd.gov.cn/", "广东省教育厅"), ("https://czt.gd.gov.cn/index.html", "广东省财政厅"),
                   ("https://www.gz.gov.cn", "广州市"), ("https://www.gd.gov.cn/zwgk/", "政务公开")]
    for text in ("网站地图", "站点地图", "市县政府网站", "省政府部门", "区县政府", "政府网站导航", "网站群", "友情链接"):
        assert SITE_LIST_TEXT.search(text), text
    for text in ("政务公开", "政府信息公开年报", "首页", "联系我们"):
        assert not SITE_LIST_TEXT.search(text), text


@pytest.mark.parametrize("html, want", [
    # a title that says nothing: the logo's alt text, then the footer's sponsor
    ('<title>首页</title><div class="header"><img class="logo" src="/logo.png" alt="番禺区人民政府"></div>',
     ("番禺区人民政府", "440113", "county")),
    ('<title>首页</title><img src="/images/logo_2023.png" alt="广州市教育局">', ("广州市教育局", "4401", "department")),
    ("<title>首页</title><p>主办：广州市人民政府办公厅 承办：广州市政务服务数据管理局</p>", ("广州市人民政府", "4401", "city")),
    ("<title>欢迎</title><p>主办单位：韶关市财政局</p>", ("韶关市财政局", "4402", "department")),
    # the title still wins over the sponsor
    ("<title>广州市人民政府门户网站</title><p>主办：广州市人民政府办公厅</p>", ("广州市人民政府", "4401", "city")),
    # images that are not the logo say nothing
    ('<title>首页</title><img src="/images/dzjg.png" alt="广州市人民政府">', None),
])
def test_names_from_logo_and_sponsor(html, want):
    got = S.identify(html, "www.x.com", within="44")
    assert (got and (got.name, got.code, got.level)) == want


class _StubSpider:
    """What SiteFinder asks of the reports spider: its sites, province, state and requests."""

    def __init__(self, sites):
        from crawler.registry import Registry, site_from_dict

        self.sites = {s["slug"]: site_from_dict(s) for s in sites}
        self.province = Registry().province("广东")
        self.registry = None
        self.state = {}
        self.requested = []

    def _request(self, f, site, **kw):
        self.requested.append((f.url, f.role, site.slug))
        return f.url


def test_links_into_another_sites_host_go_to_that_site():
    from scrapy.settings import Settings

    from crawler.spiders.follow import Follow
    from crawler.spiders.sites import SiteFinder

    spider = _StubSpider([
        {"slug": "guangdong", "name": "广东省人民政府", "code": "44", "level": "province",
         "portal": "http://www.gd.gov.cn/", "domains": ["gd.gov.cn"]},
        {"slug": "guangdong-edu-gd", "name": "广东省教育厅", "code": "44", "level": "department",
         "portal": "http://edu.gd.gov.cn/"}])
    finder = SiteFinder(spider, Settings())
    gd = spider.sites["guangdong"]
    # its own host: its own; another site's host: handed over to that site
    assert not finder.claimed_elsewhere("http://www.gd.gov.cn/zwgk/", gd)
    assert finder.claimed_elsewhere("http://edu.gd.gov.cn/zwgk/ndbg/", gd)
    assert list(finder.hand_over(Follow("http://edu.gd.gov.cn/zwgk/ndbg/", "nav", "年报"), 1, 0)) == \
        ["http://edu.gd.gov.cn/zwgk/ndbg/"]
    assert spider.requested == [("http://edu.gd.gov.cn/zwgk/ndbg/", "nav", "guangdong-edu-gd")]
    # a host being probed: the link waits for the probe's verdict
    finder.state["hosts"]["xxgk.gd.gov.cn"] = {"status": "probing", "reason": ""}
    assert finder.claimed_elsewhere("http://xxgk.gd.gov.cn/nb/", gd)
    assert list(finder.hand_over(Follow("http://xxgk.gd.gov.cn/nb/", "column", ""), 1, 0)) == []
    assert finder.state["hosts"]["xxgk.gd.gov.cn"]["deferred"] == [("http://xxgk.gd.gov.cn/nb/", "column", "")]
    # a subdomain under its domains that turned out to have no identity of its own stays the province's
    finder.state["hosts"]["xxgk.gd.gov.cn"].update(status="left_alone", reason="no_identity")
    assert not finder.claimed_elsewhere("http://xxgk.gd.gov.cn/nb/", gd)
    # …but another province's host never is
    finder.state["hosts"]["www.hunan.gov.cn"] = {"status": "left_alone", "reason": "other_province"}
    assert finder.claimed_elsewhere("http://www.hunan.gov.cn/", gd)
    # the page bound is counted per site
    finder.max_pages = 3
    assert not finder.over_pages("guangdong", {"pages": 1, "pending": 1})
    assert finder.over_pages("guangdong", {"pages": 2, "pending": 1})
    assert finder.state["bounds"]["pages"] == {"guangdong": 1}
