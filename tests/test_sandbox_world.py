"""The sandbox world's ground truth: cast, years, formats, numbers, registry shape."""

from __future__ import annotations

import collections

import pytest

from parsers import keys
from sandbox import catalog, world
from sandbox.response import Request
from sandbox.site import SiteApp

RECORD_KEYS = {"source", "title", "organization", "year", "published", "format", "sections", "tables",
               "checks", "problems"}


@pytest.fixture(scope="module")
def w():
    return world.build_world(seed=11)


def test_three_real_provinces(w):
    got = {(p.code, p.slug, p.name) for p in w.provinces}
    assert got == {("41", "henan", "河南省"), ("35", "fujian", "福建省"), ("53", "yunnan", "云南省")}
    assert w.province("河南").code == "41" and w.province("fujian").code == "35"


def test_forty_bodies_at_every_level_with_real_divisions(w):
    assert len(w.bodies) >= 40
    assert {b.level for b in w.bodies} == set(catalog.LEVELS)
    for b in w.bodies:
        place = catalog.division_name(b.code)
        if b.level != "zone":
            assert b.name.startswith(place.removesuffix("人民政府")) or place in b.name, (b.name, place)
        assert len(b.division_code) == 6 and b.division_code.startswith(b.code)
    # Reachable reports cover every level too.
    assert {r.body.level for r in w.reports if r.expected} == set(catalog.LEVELS)
    assert w.site("henan-zhengzhou").bodies[-1].name == "郑州经济技术开发区管委会"
    assert w.site("henan-zhengzhou").bodies[-1].division_code == "410171"


def test_every_cms_family_charset_and_status(w):
    assert {s.cms for s in w.sites} == set(catalog.CMS_FAMILIES)
    assert {s.status for s in w.sites} == set(catalog.STATUSES)
    assert {s.cms for s in w.sites if s.status == "ok"} == set(catalog.CMS_FAMILIES)
    gbk = [s for s in w.sites if s.charset == "gbk"]
    assert len(gbk) >= 3
    lying = [s.slug for s in gbk if s.declared_charset == "utf-8"]
    assert lying == ["henan-zhumadian"]


def test_years_formats_gaps_and_late(w):
    reports = [r for r in w.reports if r.expected]
    assert {r.year for r in reports} == set(range(2014, 2025))
    for r in reports:
        assert r.format == world.template_format(r.year)
        assert r.published > f"{r.year}-12-31"
    assert {r.format for r in reports} == {"pre-2019", "2019", "2021"}
    late = [r for r in reports if r.late]
    assert len(late) >= 5 and all(r.published >= f"{r.year + 1}-04-01" for r in late)
    years = collections.defaultdict(set)
    for r in w.reports:
        years[r.body.name].add(r.year)
    gaps = [name for name, ys in years.items() if set(range(min(ys), 2025)) - ys]
    assert len(gaps) >= 5  # some bodies skipped years
    assert {r.kind for r in reports} == {"html", "pdf", "docx"}


def test_records_have_the_contract_shape(w):
    r = next(r for r in w.reports if r.format == "2021" and r.expected)
    rec = r.record
    assert set(rec) == RECORD_KEYS
    assert rec["source"] == r.url and rec["organization"] == r.body.name and rec["year"] == r.year
    assert rec["title"] == r.title and str(r.year) in rec["title"] and "政府信息公开工作年度报告" in rec["title"]
    assert set(rec["sections"]) == {k for k, _ in keys.SECTIONS}
    apps = rec["tables"]["applications"]
    assert list(apps) == list(keys.row_keys("applications", "2021"))
    assert all(list(cols) == list(keys.APPLICATION_COLUMNS) for cols in apps.values())
    assert set(rec["tables"]["review_litigation"]) == set(keys.REVIEW_COLUMNS)
    assert set(rec["tables"]["active_disclosure"]) == set(keys.row_keys("active_disclosure", "2021"))
    pre = next(r for r in w.reports if r.format == "pre-2019")
    assert pre.record["tables"] == {} and pre.record["checks"] == []
    old = next(r for r in w.reports if r.format == "2019")
    assert "other" in old.record["tables"]["applications"]
    assert "other_other" not in old.record["tables"]["applications"]


def test_checks_follow_the_numbers(w):
    with_tables = [r for r in w.reports if r.format != "pre-2019"]
    clean = [r for r in with_tables if not {"slip", "blank_cells"} & set(r.quirks)]
    assert clean and all(c["status"] == "passed" for r in clean for c in r.record["checks"])
    slipped = [r for r in with_tables if "slip" in r.quirks and "blank_cells" not in r.quirks]
    assert slipped
    for r in slipped:
        failed = {(c["rule"], c["column"]) for c in r.record["checks"] if c["status"] == "failed"}
        assert failed == {("balance", "natural_person"), ("balance", "total"),
                          ("handled_sum", "natural_person"), ("handled_sum", "total")}
        bal = next(c for c in r.record["checks"] if c["rule"] == "balance" and c["column"] == "natural_person")
        assert bal["right"] == bal["left"] + 1
    blanks = [r for r in with_tables if "blank_cells" in r.quirks]
    assert blanks
    r = blanks[0]
    cell = r.record["tables"]["applications"]["new_received"]["research"]
    assert cell == {"value": None, "raw": ""}
    assert any(c["status"] == "not_checkable" for c in r.record["checks"])


def test_money_cells_keep_units(w):
    amounts = [r.record["tables"]["active_disclosure"]["procurement"]["amount"]
               for r in w.reports if r.format == "2019"]
    units = {a.get("unit") for a in amounts}
    assert units == {None, "万元", "元"}
    yuan = next(a for a in amounts if a.get("unit") == "元")
    assert yuan["raw"] == f"{yuan['value']}元" and isinstance(yuan["value"], int)
    wan = next(a for a in amounts if a.get("unit") == "万元")
    assert wan["raw"] == f"{wan['value']:.2f} (万元)"
    change = [r.record["tables"]["active_disclosure"]["licensing"]["change"] for r in w.reports if r.format == "2019"]
    assert any(c["raw"].startswith("+") and c["value"] > 0 for c in change)


def test_expected_reports_exclude_blocked_and_robots(w):
    henan = world.expected_reports(w, "henan")
    assert henan == sorted(henan, key=lambda rec: rec["source"])
    assert all(rec["source"].startswith("http://127.0.1.") for rec in henan)
    urls = {rec["source"] for rec in henan}
    hidden = world.unreachable_reports(w, "henan")
    assert hidden and all(r.reason == "robots" and "/zwgk/wnnb/" in r.path for r in hidden)
    assert not urls & {r.url for r in hidden}
    fujian_hidden = world.unreachable_reports(w, "fujian")
    assert {r.reason for r in fujian_hidden} == {"blocked"}
    yunnan_hidden = world.unreachable_reports(w, "53")
    assert {r.site.slug for r in yunnan_hidden} == {"yunnan-qujing"}
    assert sum(len(world.expected_reports(w, p.slug)) for p in w.provinces) == sum(r.expected for r in w.reports)
    decoy_urls = {d.url for d in w.decoys}
    assert not decoy_urls & {r.url for r in w.reports}
    assert any("国办公开办函〔2021〕30号" in d.title for d in w.decoys)


def test_same_seed_same_bytes_other_seed_other_world():
    a, b = world.build_world(seed=5), world.build_world(seed=5)
    assert [r.record for r in a.reports] == [r.record for r in b.reports]
    for ra, rb in list(zip(a.reports, b.reports, strict=True))[:40]:
        pa = SiteApp(ra.site).handle(Request("GET", ra.page_path or ra.path, {})).body
        pb = SiteApp(rb.site).handle(Request("GET", rb.page_path or rb.path, {})).body
        assert pa == pb
    c = world.build_world(seed=6)
    assert [r.record for r in a.reports] != [r.record for r in c.reports]


def test_revise_changes_one_report(w):
    r = next(r for r in w.reports if r.kind == "html" and r.expected)
    other = next(x for x in w.reports if x.kind == "html" and x is not r)
    app, other_app = SiteApp(r.site), SiteApp(other.site)
    before, other_before, rec_before = (app.handle(Request("GET", r.path, {})).body,
                                        other_app.handle(Request("GET", other.path, {})).body, r.record)
    w.revise(r)
    try:
        after = app.handle(Request("GET", r.path, {})).body
        assert after != before
        assert other_app.handle(Request("GET", other.path, {})).body == other_before
        assert r.record["sections"]["other_matters"] != rec_before["sections"]["other_matters"]
        assert world.revision_note(1) in after.decode(r.site.charset)
    finally:
        r.revision = 0


def test_registry_entries_load_in_the_crawler_registry(w):
    entries = world.registry_entries(w)
    assert len(entries) == len(w.sites)
    henan = entries[0]
    assert henan["slug"] == "henan" and henan["code"] == "41" and henan["level"] == "province"
    assert henan["portal"] == w.site("henan").base_url + "/"
    assert henan["columns"] == henan["report_columns"] and len(henan["columns"]) == 2  # 往年年报 is not listed
    assert henan["division_code"] == "410000"
    registry = pytest.importorskip("crawler.registry")
    reg = registry.Registry(entries)
    assert [s.slug for s in reg.sites_for("河南")] == [e["slug"] for e in entries if e["code"].startswith("41")]


def test_generation_republishes_one_report():
    base, later = world.build_world(seed=5), world.build_world(seed=5, generation=1)
    changed = [(a, b) for a, b in zip(base.reports, later.reports, strict=True) if a.record != b.record]
    assert len(changed) == 1
    a, b = changed[0]
    assert b is later.changed_report() and b.revision == 1 and a.url == b.url
    assert SiteApp(a.site).handle(Request("GET", a.path, {})).body != SiteApp(b.site).handle(
        Request("GET", b.path, {})).body
