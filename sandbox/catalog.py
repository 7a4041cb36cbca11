"""The fixed cast of the sandbox web: provinces, sites and the bodies they host.

Names and codes are real (sandbox/data/divisions.json, copied from the NBS
division list); the portals, their CMS and their misbehaviour are invented.
`world.build_world` adds the seeded parts (report years, numbers, quirks).

A site's `status` is what a correct crawler should conclude about it:
  ok                 reports found
  not_found          the registered report column answers 404 (moved away)
  robots_disallowed  robots.txt disallows the whole site
  blocked            every page answers 412 with a JavaScript challenge
  no_reports         the column exists but holds only news and notices
  error              every page answers 503
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROVINCES = (("41", "henan"), ("35", "fujian"), ("53", "yunnan"))
LEVELS = ("province", "city", "county", "department", "zone")
# The families the catalog's sites use (sandbox/cms has gkmlpt too: add it here once a catalog site uses it).
CMS_FAMILIES = ("trs", "hanweb", "jsonapi", "static")
STATUSES = ("ok", "not_found", "robots_disallowed", "blocked", "no_reports", "error")


@dataclass(frozen=True)
class BodySpec:
    name: str
    level: str
    code: str  # division code the body sits in: 2 digits province, 4 city, 6 county


@dataclass(frozen=True)
class SiteSpec:
    slug: str
    cms: str
    bodies: tuple[BodySpec, ...]  # the first body owns the site
    charset: str = "utf-8"  # the bytes actually sent
    declared_charset: str = "utf-8"  # what <meta> and Content-Type claim
    status: str = "ok"
    page_size: int = 10
    # Site features: "old_reports_disallowed" (a robots-disallowed 往年年报 column),
    # "trs_page_div" (the 6-argument createPageHTML form), "octet_stream" (attachments
    # sent as application/octet-stream), "split_columns" (one report column per body),
    # and the discovery features of sandbox/features.py ("script_pager", "post_pager",
    # "extless_download", "pdf_viewer", "iframe_pdf", "js_only_list", "page_source",
    # "year_first_titles", "more_decoys"; "key:variant" pins a variation).
    features: tuple[str, ...] = ()

    @property
    def owner(self) -> BodySpec:
        return self.bodies[0]


def _b(name: str, level: str, code: str) -> BodySpec:
    return BodySpec(name, level, code)


SITES: tuple[SiteSpec, ...] = (
    # --- 河南 41 ---------------------------------------------------------------
    SiteSpec("henan", "trs", (
        _b("河南省人民政府", "province", "41"),
        _b("河南省教育厅", "department", "41"),
        _b("河南省财政厅", "department", "41"),
    ), features=("old_reports_disallowed", "split_columns")),
    SiteSpec("henan-zhengzhou", "hanweb", (
        _b("郑州市人民政府", "city", "4101"),
        _b("郑州市教育局", "department", "4101"),
        _b("郑州市财政局", "department", "4101"),
        _b("中牟县人民政府", "county", "410122"),
        _b("新郑市人民政府", "county", "410184"),
        _b("郑州经济技术开发区管委会", "zone", "410171"),
    ), page_size=15),
    SiteSpec("henan-luoyang", "jsonapi", (
        _b("洛阳市人民政府", "city", "4103"),
        _b("洛阳市财政局", "department", "4103"),
        _b("栾川县人民政府", "county", "410324"),
        _b("洛阳高新技术产业开发区管委会", "zone", "410371"),
    ), page_size=12),
    # GBK bytes behind a page that says UTF-8: the classic mojibake trap.
    SiteSpec("henan-zhumadian", "static", (
        _b("驻马店市人民政府", "city", "4117"),
        _b("驻马店经济开发区管委会", "zone", "411771"),
        _b("遂平县人民政府", "county", "411728"),
    ), charset="gbk", declared_charset="utf-8", page_size=8),
    # --- 福建 35 ---------------------------------------------------------------
    SiteSpec("fujian", "trs", (
        _b("福建省人民政府", "province", "35"),
        _b("福建省教育厅", "department", "35"),
        _b("福建省生态环境厅", "department", "35"),
    ), charset="gbk", declared_charset="gbk", features=("trs_page_div",)),
    SiteSpec("fujian-fuzhou", "trs", (
        _b("福州市人民政府", "city", "3501"),
        _b("福州市教育局", "department", "3501"),
        _b("闽侯县人民政府", "county", "350121"),
    ), status="blocked"),
    SiteSpec("fujian-xiamen", "jsonapi", (
        _b("厦门市人民政府", "city", "3502"),
        _b("厦门市财政局", "department", "3502"),
        _b("同安区人民政府", "county", "350212"),
        _b("厦门火炬高技术产业开发区管委会", "zone", "350206"),
    ), page_size=10),
    SiteSpec("fujian-quanzhou", "hanweb", (
        _b("泉州市人民政府", "city", "3505"),
        _b("泉州市教育局", "department", "3505"),
        _b("晋江市人民政府", "county", "350582"),
        _b("泉州经济技术开发区管委会", "zone", "350503"),
    ), charset="gbk", declared_charset="gbk", page_size=15, features=("octet_stream",)),
    SiteSpec("fujian-putian", "static", (
        _b("莆田市人民政府", "city", "3503"),
        _b("仙游县人民政府", "county", "350322"),
    ), status="not_found"),
    # --- 云南 53 ---------------------------------------------------------------
    SiteSpec("yunnan", "static", (
        _b("云南省人民政府", "province", "53"),
        _b("云南省教育厅", "department", "53"),
        _b("云南省财政厅", "department", "53"),
    ), page_size=10, features=("split_columns",)),
    SiteSpec("yunnan-kunming", "trs", (
        _b("昆明市人民政府", "city", "5301"),
        _b("昆明市教育局", "department", "5301"),
        _b("官渡区人民政府", "county", "530111"),
        _b("呈贡区人民政府", "county", "530114"),
        _b("昆明经济技术开发区管委会", "zone", "530111"),
    ), charset="gbk", declared_charset="gbk", page_size=20),
    SiteSpec("yunnan-qujing", "hanweb", (
        _b("曲靖市人民政府", "city", "5303"),
        _b("沾益区人民政府", "county", "530303"),
    ), status="robots_disallowed"),
    SiteSpec("yunnan-dali", "jsonapi", (
        _b("大理白族自治州人民政府", "city", "5329"),
        _b("大理市人民政府", "county", "532901"),
    ), status="no_reports"),
    SiteSpec("yunnan-yuxi", "static", (
        _b("玉溪市人民政府", "city", "5304"),
        _b("红塔区人民政府", "county", "530402"),
    ), status="error"),
)


@cache
def divisions() -> dict:
    path = Path(__file__).with_name("data") / "divisions.json"
    return json.loads(path.read_text(encoding="utf-8"))


def division_name(code: str) -> str:
    d = divisions()
    table = {2: d["provinces"], 4: d["cities"], 6: d["counties"]}[len(code)]
    return table[code]


def division_code6(code: str) -> str:
    """The 6-digit administrative code: 41 → 410000, 4101 → 410100."""
    return code.ljust(6, "0")
