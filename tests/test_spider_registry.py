"""The portal registry and how the reports spider picks its sites."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from crawler.registry import Registry, RegistryError
from crawler.spiders.reports import ReportsSpider

DIVISIONS = Path("/work/shared/data/divisions/modood_provinces.csv")


def test_builtin_registry_has_the_31_provincial_units():
    reg = Registry()
    codes = [p.code for p in reg.provinces]
    assert len(codes) == 31 == len(set(codes))
    assert len({p.slug for p in reg.provinces}) == 31
    if DIVISIONS.exists():  # the shared NBS list, where mounted
        with DIVISIONS.open(encoding="utf-8") as f:
            official = {row["code"]: row["name"] for row in csv.DictReader(f)}
        assert set(codes) == set(official)
        for p in reg.provinces:
            assert p.name.removesuffix("人民政府") == official[p.code]
    henan = reg.province("henan")
    assert (henan.code, henan.portal, henan.name) == ("41", "https://www.henan.gov.cn/", "河南省人民政府")
    assert all(s.portal.startswith(("http://", "https://")) for s in reg.sites)
    assert not any("127." in u for s in reg.sites for u in (s.portal, *s.columns))  # no loopback in the real one


@pytest.mark.parametrize("query", ["河南", "河南省", "henan", "41", " HENAN "])
def test_province_by_name_slug_or_code(query):
    assert Registry().province(query).slug == "henan"


def test_shaanxi_and_shanxi_are_not_confused():
    reg = Registry()
    assert reg.province("陕西").slug == "shaanxi" and reg.province("山西").slug == "shanxi"
    assert reg.province("61").slug == "shaanxi" and reg.province("14").slug == "shanxi"


def test_unknown_province():
    with pytest.raises(RegistryError, match="unknown province '火星'"):
        Registry().province("火星")


def test_scope_includes_subdomains_only():
    site = Registry().province("fujian")
    assert site.in_scope("https://www.fujian.gov.cn/zwgk/")
    assert site.in_scope("http://jyt.fujian.gov.cn/xxgk/")
    assert not site.in_scope("https://www.fujian.gov.cn.evil.com/")
    assert not site.in_scope("https://www.henan.gov.cn/")


def test_overlay_registry_with_extra_keys(tmp_path):
    entries = [
        {"slug": "henan", "name": "河南省人民政府", "code": "41", "level": "province",
         "portal": "http://127.0.1.1:8000/", "columns": ["http://127.0.1.1:8000/zwgk/ndbg/"],
         "bodies": ["河南省人民政府", "河南省教育厅"], "division_code": "410000"},
        {"slug": "henan-zhengzhou", "name": "郑州市人民政府", "code": "4101", "level": "city",
         "portal": "http://127.0.1.2:8000/"},
        {"slug": "yunnan", "name": "云南省人民政府", "code": "53", "level": "province", "portal": "http://127.0.1.3:8000/"},
    ]
    path = tmp_path / "r.yml"
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
    reg = Registry.from_file(path)
    assert [s.slug for s in reg.sites_for("河南")] == ["henan", "henan-zhengzhou"]
    assert reg.sites_for("henan")[0].extra["bodies"] == ["河南省人民政府", "河南省教育厅"]
    assert reg.sites_for("hubei") == []

    spider = ReportsSpider(province="41", registry=str(path), site="http://127.0.1.2:8000/")
    assert list(spider.sites) == ["henan-zhengzhou"]
    spider = ReportsSpider(province="henan", registry=str(path), site="http://127.0.1.2:8000/col/col1101/index.html")
    assert spider.sites["henan-zhengzhou"].columns == ("http://127.0.1.2:8000/col/col1101/index.html",)
    spider = ReportsSpider(province="henan", registry=str(path), site="https://www.kaifeng.gov.cn/zfxxgknb/")
    (adhoc,) = spider.sites.values()
    assert (adhoc.slug, adhoc.code, adhoc.columns) == ("www-kaifeng-gov-cn", "41",
                                                       ("https://www.kaifeng.gov.cn/zfxxgknb/",))


@pytest.mark.parametrize("entry, reason", [
    ({"slug": "x", "name": "X", "code": "41"}, "lacks 'portal'"),
    ({"slug": "Bad Slug", "name": "X", "code": "41", "portal": "http://x/"}, "slug"),
    ({"slug": "x", "name": "X", "code": "4", "portal": "http://x/"}, "division code"),
    ({"slug": "x", "name": "X", "code": "41", "portal": "ftp://x/"}, "http"),
    ({"slug": "x", "name": "X", "code": "41", "portal": "http://x/", "level": "village"}, "level"),
])
def test_malformed_entries_are_refused(tmp_path, entry, reason):
    path = tmp_path / "r.yml"
    path.write_text(yaml.safe_dump([entry]), encoding="utf-8")
    with pytest.raises(RegistryError, match=reason):
        Registry.from_file(path)
