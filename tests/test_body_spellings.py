"""Two spellings of one body are one body on the site (issue 13, publication): the canonical
spelling (archive/rows.py `canonical_body_name`) with its variations and the spellings it must
keep apart, migration 17 on an archive that already holds bodies, and the body and province
pages of a real Datasette showing every spelling's reports with their values."""

from __future__ import annotations

import asyncio
import re

import pytest

import archive
from archive import coverage, province, rows, schema, store
from archive.permalinks import body_id
from archive.verify import count_mismatches
from nianbao.site.app import make_datasette
from tests.archive_fixtures import make_record, set_cell


def body(name: str) -> dict:
    return rows.body_row(name)


# (spellings of one body, its canonical spelling, its 6-digit code, its level)
SAME = [
    (["驻马店市人民政府", "河南省驻马店市人民政府", "河南驻马店市人民政府", "驻马店市政府", "河南省驻马店市政府",
      "驻马店政府", "驻马店人民政府", "驻马店", "驻马店市 人民政府", "驻马店市\u3000人民政府"],
     "驻马店市人民政府", "411700", "city"),
    (["河南省人民政府", "河南省政府"], "河南省人民政府", "410000", "province"),
    (["广西壮族自治区人民政府", "广西壮族自治区政府"], "广西壮族自治区人民政府", "450000", "province"),
    (["北京市人民政府", "北京市政府"], "北京市人民政府", "110000", "province"),
    (["沾益区人民政府", "沾益区", "沾益", "曲靖市沾益区", "曲靖市沾益区人民政府", "云南省曲靖市沾益区政府", "曲靖沾益区政府"],
     "沾益区人民政府", "530303", "county"),
    (["沾益区教育局", "曲靖市沾益区教育局", "云南省曲靖市沾益区教育局", "云南沾益区教育局", "曲靖沾益区教育局"],
     "沾益区教育局", "530303", "department"),
    (["正阳县人民政府办公室", "正阳县政府办公室", "驻马店市正阳县政府办公室", "河南省驻马店市正阳县人民政府办公室"],
     "正阳县人民政府办公室", "411724", "department"),
    (["沾益区大坡乡人民政府", "曲靖市沾益区大坡乡政府", "沾益区大坡乡政府", "沾益区大坡乡", "云南省曲靖市沾益区大坡乡"],
     "沾益区大坡乡人民政府", "530303", "township"),
    (["沾益区西平街道办事处", "沾益区西平街道", "曲靖市沾益区西平街道"], "沾益区西平街道办事处", "530303", "township"),
    (["景德镇市人民政府", "景德镇市政府", "江西省景德镇市人民政府", "景德镇"], "景德镇市人民政府", "360200", "city"),
    (["北京市朝阳区教育委员会", "北京朝阳区教育委员会"], "朝阳区教育委员会", "110105", "department"),
]


@pytest.mark.parametrize(("spellings", "canonical", "code6", "level"), SAME, ids=[s[1] for s in SAME])
def test_spellings_of_one_body_share_its_canonical_id(spellings, canonical, code6, level):
    want = body_id(canonical, code6)
    for name in spellings:
        b = body(name)
        assert b["id"].startswith(code6 + "-"), name
        assert rows.canonical_body_name(b["name"], code6) == canonical, name
        assert (b["canonical_id"], b["level"]) == (want, level), name
        assert b["id"] == body_id(b["name"], code6)  # each spelling keeps its own id
    assert rows.canonical_body_name(canonical, code6) == canonical
    if canonical != "朝阳区教育委员会":  # alone, 朝阳区 could be Beijing's or Changchun's: not placed, 000000
        assert body(canonical)["canonical_id"] == body(canonical)["id"] == want  # the canonical one is its own


# Pairs of names that are, or may be, two bodies: never merged.
APART = [
    ("正阳县人民政府办", "正阳县人民政府办公室"),  # 办 may be a bureau's own office
    ("正阳县政府办", "正阳县人民政府办公室"),
    ("驻马店市人民政府办公室", "驻马店市人民政府办公厅"),
    ("驻马店市人民政府", "驻马店市人民政府办公室"),  # a government and its office
    ("沾益区教育局", "沾益区财政局"),
    ("沾益区教育局", "沾益区教育局办公室"),
    ("沾益区人民政府", "沾益区卫生院"),
    ("正阳县大林镇", "正阳县大林镇卫生院"),
    ("沾益区西平街道", "沾益区西平街道社区卫生服务中心"),
    ("驻马店市教育局", "河南省教育厅"),
    ("驻马店市教育局", "正阳县教育局"),  # a city's bureau and its county's
    ("北京市朝阳区人民政府", "长春市朝阳区人民政府"),  # one name in two divisions
    ("驻马店市人民政府", "河南省人民政府"),
]


@pytest.mark.parametrize(("a", "b"), APART)
def test_different_bodies_keep_different_canonical_ids(a, b):
    assert body(a)["canonical_id"] != body(b)["canonical_id"]


def test_what_is_left_alone():
    # one name in two divisions: the same canonical spelling, two ids (the division code differs)
    beijing, changchun = body("北京市朝阳区人民政府"), body("长春市朝阳区人民政府")
    assert beijing["canonical_id"] == body_id("朝阳区人民政府", "110105")
    assert changchun["canonical_id"] == body_id("朝阳区人民政府", "220104")
    # an ancestor's name not followed by the body's own division: kept (the prefix names another body)
    assert rows.canonical_body_name("河南省公安厅驻马店监管支队", "411700") == "河南省公安厅驻马店监管支队"
    # a city's and a province's own departments keep their own division's name
    assert rows.canonical_body_name("驻马店市教育局", "411700") == "驻马店市教育局"
    assert rows.canonical_body_name("河南省教育厅", "410000") == "河南省教育厅"
    # unplaced: only 政府 after a division word changes
    assert rows.canonical_body_name("某某县政府办公室", "000000") == "某某县人民政府办公室"
    assert rows.canonical_body_name("政府信息公开办公室", "000000") == "政府信息公开办公室"
    nobody = rows.body_row(None, url="https://gov.example.cn/a.htm")
    assert nobody["canonical_id"] == nobody["id"]


# --- migration 17 on an archive written before it ------------------------------------------

OLD = {  # name, year, published
    "city2020": ("驻马店市人民政府", 2020, "2021-03-30"),
    "city2021": ("河南省驻马店市人民政府", 2021, "2022-04-05"),
    "short2022": ("驻马店政府", 2022, "2023-03-01"),  # a department by the old rule: due 31 January
    "edu2021": ("沾益区教育局", 2021, "2022-01-20"),
    "edu2022": ("曲靖市沾益区教育局", 2022, "2023-01-20"),
    "fin2021": ("驻马店市财政局", 2021, "2022-01-20"),
}


def test_migration_groups_the_bodies_an_archive_already_holds(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] <= 16])
    body_row = rows.body_row

    def old_body_row(*a, **k):  # the writer of schema 16: no canonical_id, levels by the name as printed
        b = {c: v for c, v in body_row(*a, **k).items() if c != "canonical_id"}
        return {**b, "level": rows.body_level(b["name"], rows.place(b["name"]))}

    monkeypatch.setattr(store.R, "body_row", old_body_row)
    cell_rows = store.R.cell_rows  # nor cells.confidence (schema 18)
    monkeypatch.setattr(store.R, "cell_rows", lambda *a, **k: [
        {c: v for c, v in row.items() if c != "confidence"} for row in cell_rows(*a, **k)])
    db = archive.open_archive(path)
    ids = {}
    for n, (key, (name, year, published)) in enumerate(OLD.items()):
        rec = make_record("2021", organization=name, year=year, published=published, seed=n + 2)
        sid, _ = archive.save_snapshot(db, url=f"https://gov.example.cn/{key}.htm", body=key.encode(),
                                       fetched_at="2023-05-01T00:00:00Z")
        ids[key] = archive.save_report(db, rec, snapshot_id=sid, url=f"https://gov.example.cn/{key}.htm")
    assert "canonical_id" not in db["bodies"].columns_dict
    before = db.execute("SELECT id, level, days_late, deadline FROM reports ORDER BY id").fetchall()
    assert dict((r[0], r[1:]) for r in before)[ids["short2022"]] == ("department", 29, "2023-01-31")
    monkeypatch.undo()

    assert schema.apply_schema(db) == [17, 18]
    got = {r[0]: r[1:] for r in db.execute("SELECT id, name, canonical_id, level FROM bodies")}
    zmd, edu, fin = body_id("驻马店市人民政府", "411700"), body_id("沾益区教育局", "530303"), \
        body_id("驻马店市财政局", "411700")
    assert sorted(got.values()) == sorted([
        ("驻马店市人民政府", zmd, "city"), ("河南省驻马店市人民政府", zmd, "city"), ("驻马店政府", zmd, "city"),
        ("沾益区教育局", edu, "department"), ("曲靖市沾益区教育局", edu, "department"),
        ("驻马店市财政局", fin, "department")])
    after = {r[0]: r[1:] for r in db.execute("SELECT id, level, days_late, deadline FROM reports")}
    assert set(after) == {r[0] for r in before} == set(ids.values())  # no id changes
    assert after[ids["short2022"]] == ("city", 0, "2023-03-31")  # its level now the government's
    assert after[ids["city2021"]] == ("city", 5, "2022-03-31")
    assert after[ids["edu2022"]] == ("department", 0, "2023-01-31")
    assert db.execute("SELECT 1 FROM sqlite_master WHERE name = 'bodies_canonical'").fetchone()
    assert count_mismatches(db.conn) == []  # the level facet counters followed the update
    assert schema.apply_schema(db) == []


# --- the pages -----------------------------------------------------------------------------

SITE = {  # name, year, published, seed, 予以公开·总计 (applications.granted.total)
    "zmd2020": ("驻马店市人民政府", 2020, "2021-03-30", 2, 40),
    "prefixed2021": ("河南省驻马店市人民政府", 2021, "2022-04-05", 3, 50),
    "short2021": ("驻马店市政府", 2021, "2022-03-20", 7, 30),  # another copy of 2021, in a third spelling
    "edu2021": ("沾益区教育局", 2021, "2022-01-20", 4, 11),
    "edu2022": ("曲靖市沾益区教育局", 2022, "2023-01-20", 5, 12),
    "fin2021": ("沾益区财政局", 2021, "2022-01-20", 6, 13),
}
CHANGE = {"prefixed2021": "+10 (+25%)", "short2021": "-10 (-25%)"}  # each 2021 column against 2020


def fetch(ds, path):
    return asyncio.run(ds.client.get(path))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("spellings") / "demo.db"
    db = archive.open_archive(path)
    recs, ids = {}, {}
    for key, (name, year, published, seed, granted_) in SITE.items():
        recs[key] = set_cell(make_record("2021", organization=name, year=year, published=published, seed=seed),
                             "applications", "granted", "total", granted_)
        url = f"https://gov.example.cn/{key}.htm"
        sid, _ = archive.save_snapshot(db, url=url, body=key.encode(), fetched_at="2023-05-01T00:00:00Z")
        ids[key] = archive.save_report(db, recs[key], snapshot_id=sid, url=url)
    archive.store.checkpoint(db)
    db.conn.close()
    return make_datasette(path), recs, ids


def body_of(report_id: str) -> str:
    return report_id.rsplit("-", 1)[0]


def columns(html: str) -> list[tuple[str, str]]:
    """(state, year) of each column of the reports-by-year table."""
    return re.findall(r'<td class="state-(\w+)" data-year="(\d+)">', html)


def test_body_page_of_any_spelling_shows_every_spellings_reports(site):
    ds, recs, ids = site
    last = coverage.latest_complete_year()
    missing = [("missing", str(y)) for y in range(2022, last + 1)]
    for viewed, copy in (("prefixed2021", "short2021"), ("short2021", "prefixed2021"), ("zmd2020", "short2021")):
        html = fetch(ds, f"/demo/bodies/{body_of(ids[viewed])}").text
        # a year's reports: the viewed spelling's own first, then by body id
        first21, second21 = (viewed, copy) if viewed != "zmd2020" else sorted(("prefixed2021", "short2021"),
                                                                               key=lambda k: ids[k])
        order = ["zmd2020", first21, second21]
        state = {"zmd2020": "on_time", "prefixed2021": "late", "short2021": "on_time"}
        assert columns(html) == [(state[k], str(SITE[k][1])) for k in order] + missing, viewed
        links = re.findall(r'<a class="report-link" href="/demo/reports/([^"]+)">', html)
        assert links == [ids[k] for k in order], viewed
        assert html.count('<span class="copy-mark">另一份 another copy</span>') == 2  # both tables' heads
        # the other spellings, each linked to its own page
        also = re.search(r'<p class="spellings">(.*?)</p>', html, re.S).group(1)
        others = [k for k in ("zmd2020", "prefixed2021", "short2021") if k != viewed]
        assert sorted(re.findall(r'href="/demo/bodies/([^"]+)">([^<]+)</a>', also)) == sorted(
            (body_of(ids[k]), SITE[k][0]) for k in others)
        printed = re.search(r'<tr><th>印作 printed as</th>(.*?)</tr>', html, re.S).group(1)
        assert re.findall(r'<td class="spelling">(?:<a[^>]*>)?([^<]*)', printed)[:3] == [SITE[k][0] for k in order]
        # every value of the row, each column its own report's; changes against last year's first column
        row = re.search(r'<tr data-key="applications.granted.total">(.*?)</tr>', html, re.S).group(1)
        values = re.findall(r'<td class="num">(?:<a href="/demo/cells/([^"]+)">([^<]*)</a>'
                            r'(?:<span class="change">([^<]*)</span>)?)?</td>', row)
        assert values == [
            (f"{ids['zmd2020']},applications,granted,total", "40", ""),
            (f"{ids[first21]},applications,granted,total", str(SITE[first21][4]), CHANGE[first21]),
            (f"{ids[second21]},applications,granted,total", str(SITE[second21][4]), CHANGE[second21]),
        ] + [("", "", "")] * len(missing), viewed


def test_bodies_table_links_a_spellings_group_to_its_bodies(site):
    ds, _recs, ids = site
    group = body_id("驻马店市人民政府", "411700")
    html = fetch(ds, f"/demo/bodies/{body_of(ids['short2021'])}").text
    assert (f'<a class="spellings-link" href="/demo/bodies?canonical_id={group}" title="同一机关的各种写法 every'
            f' spelling of this body">{group}</a>') in html
    found = fetch(ds, f"/demo/bodies.json?_shape=array&canonical_id={group}").json()
    assert sorted(b["name"] for b in found) == sorted(SITE[k][0] for k in ("zmd2020", "prefixed2021", "short2021"))


def test_a_body_with_one_spelling_is_unchanged(site):
    ds, _recs, ids = site
    html = fetch(ds, f"/demo/bodies/{body_of(ids['fin2021'])}").text
    assert 'class="spellings"' not in html and "印作 printed as" not in html and "another copy" not in html
    assert columns(html)[0] == ("on_time", "2021")


def test_department_spellings_are_one_body_on_its_pages(site):
    ds, _recs, ids = site
    html = fetch(ds, f"/demo/bodies/{body_of(ids['edu2022'])}").text
    assert columns(html)[:2] == [("on_time", "2021"), ("on_time", "2022")]
    row = re.search(r'<tr data-key="applications.granted.total">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'">(\d+)</a>(?:<span class="change">([^<]*)</span>)?', row)[:2] == [
        ("11", ""), ("12", "+1 (+9%)")]


def test_province_page_lists_a_body_once_with_its_spellings(site, monkeypatch):
    ds, _recs, ids = site
    html = fetch(ds, "/-/province/yunnan").text
    entries = re.findall(r'<li><a class="body-link" href="/demo/bodies/([^"]+)">([^<]+)</a>(.*?)</li>', html)
    assert [(b, n) for b, n, _rest in entries] == [
        (body_of(ids["edu2021"]), "沾益区教育局"), (body_of(ids["fin2021"]), "沾益区财政局")]
    rest = entries[0][2]
    assert (f'（又印作 also printed as <a class="spelling-link" href="/demo/bodies/{body_of(ids["edu2022"])}">'
            "曲靖市沾益区教育局</a>）") in rest
    assert re.findall(r'href="/demo/reports/([^"]+)">(\d+)</a>', rest) == [
        (ids["edu2021"], "2021"), (ids["edu2022"], "2022")]
    # many bodies: counted, one per body, not per spelling
    monkeypatch.setattr(province, "LIST_LIMIT", 1)
    counted = fetch(ds, "/-/province/53").text  # another URL: the site keeps whole responses
    row = re.search(r'<table class="years bodies-counted">.*?</table>', counted, re.S).group(0)
    assert re.findall(r'<td class="num"><a [^>]*>(\d+)</a></td>', row) == ["2"]


def test_late_or_missing_knows_a_body_by_any_spelling(site):
    ds, _recs, ids = site
    # 沾益区教育局 reported 2021, its other spelling 2022: not missing in 2022; 沾益区财政局 is
    late = fetch(ds, "/demo/late_or_missing.json?_shape=array&year=2022").json()
    # 驻马店市 reported 2021 in two spellings and 2022 in none: missing once, by its first spelling
    assert [(r["problem"], r["body_id"], r["year"]) for r in late] == [
        ("missing", body_of(min(ids["prefixed2021"], ids["short2021"])), 2022),
        ("missing", body_of(ids["fin2021"]), 2022)]
    # 驻马店市人民政府 reported 2020, its other spellings 2021: not missing in 2021
    late = fetch(ds, "/demo/late_or_missing.json?_shape=array&year=2021").json()
    assert [(r["problem"], r["report_id"]) for r in late] == [("late", ids["prefixed2021"])]


def test_coverage_counts_a_government_once(site):
    ds, _recs, ids = site
    found = fetch(ds, "/demo/coverage.json?_shape=array&division_code=4117").json()
    got = [(r["year"], r["status"], r["report_id"]) for r in found if r["year"] <= 2021]
    assert got == [(2020, "on_time", ids["zmd2020"]), (2021, "on_time", ids["short2021"])]  # the one on time
    html = fetch(ds, "/-/province/henan").text
    city = re.search(r'<tr data-city="驻马店市">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num state-(\w+)">(\d+)</td>', city)[:3] == [
        ("on_time", "2"), ("late", "0"), ("unknown_date", "0")]
