"""The published site (nianbao/site/: app.py, plugin.py, metadata.yml, templates/) through datasette.client.

The archive is built from hand-made records (tests/archive_fixtures.py) so
every expected value is known exactly.
"""

from __future__ import annotations

import asyncio

import pytest

from nianbao.cli import main
from nianbao.site.app import make_datasette
from tests.archive_fixtures import EVIL, PT, ZMD, ZY, build_demo_archive


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("site") / "demo.db"
    records, snaps = build_demo_archive(path)
    return make_datasette(path), records, snaps


def cross_year_failures(records):
    """Columns where 2021's 上年结转 differs from 2020's 结转下年度."""
    before = records["zmd2020"]["tables"]["applications"]["carried_forward"]
    now = records["zmd2021"]["tables"]["applications"]["carried_over"]
    return sorted(c for c in now if now[c]["value"] != before[c]["value"])


def fetch(ds, path):
    async def go():
        return await ds.client.get(path)

    return asyncio.run(go())


def rows(ds, path):
    sep = "&" if "?" in path else "?"
    response = fetch(ds, f"{path}{sep}_shape=objects")
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def test_home_and_database_pages(site):
    ds, _, _ = site
    home = fetch(ds, "/")
    assert home.status_code == 200
    assert "年报 nianbao — 政府信息公开工作年度报告 archive" in home.text
    assert 'href="/demo"' in home.text
    assert '<form action="/demo/search" method="get">' in home.text
    assert '<li><a href="/demo/reports">Reports 年度报告</a>' in home.text
    dbpage = fetch(ds, "/demo").text
    for query in ("reports_by_province", "failing_reports", "late_or_missing", "yearly_totals", "search"):
        assert f'href="/demo/{query}"' in dbpage


def test_reports_table_has_facets_and_descriptions(site):
    ds, _, _ = site
    data = fetch(ds, "/demo/reports.json").json()
    facets = {
        name: {r["value"]: r["count"] for r in f["results"]} for name, f in data["facet_results"].items()
    }
    assert facets == {
        "province": {"河南省": 2, "云南省": 1, "福建省": 1},
        "year": {2019: 1, 2020: 1, 2021: 1, 2022: 1},
        "level": {"zone": 3, "county": 1},
        "format": {"2019": 2, "2021": 2},
        "check_status": {"passed": 3, "failed": 1},
    }
    page = fetch(ds, "/demo/reports?province=河南省&_sort=year").text
    assert (
        "2 rows" in page and "省 Province" in page and "逾期天数 Days after the deadline" in page
    )
    assert page.index(f"{ZMD}-2020") < page.index(f"{ZMD}-2021")


def test_report_page_lays_out_tables_and_highlights_failures(site):
    ds, records, snaps = site
    page = fetch(ds, f"/demo/reports/{ZMD}-2021")
    assert page.status_code == 200
    html = page.text
    for title in ("主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议、行政诉讼情况"):
        assert f">{title}</h2>" in html
    # The failing cell: its anchor, the highlight, its permalink link and value.
    assert (
        f'<td id="applications-granted-total" class="value failed" title="failed: handled_sum, row_total">'
        f'<a href="/demo/cells/{ZMD}-2021,applications,granted,total">99</a></td>'
    ) in html
    granted_np = records["zmd2021"]["tables"]["applications"]["granted"]["natural_person"]["value"]
    assert (
        f'<td id="applications-granted-natural_person" class="value failed" title="failed: row_total">'
        f'<a href="/demo/cells/{ZMD}-2021,applications,granted,natural_person">{granted_np}</a></td>'
    ) in html
    assert '<td id="active_disclosure-fees-amount" class="value">' in html and "25829.67" in html
    assert 'rowspan="8" colspan="1">(三)不予公开</td>' in html
    assert 'rowspan="22" colspan="1">三、本年度办理结果</td>' in html
    assert 'href="https://gov.example.cn/nb/zmd2021.htm"' in html
    assert (
        f'href="/demo/snapshots/{snaps["zmd2021"]}"' in html
        and f'href="/-/snapshot/{snaps["zmd2021"]}"' in html
    )
    cross = cross_year_failures(records)
    assert len(cross) == 4
    assert (
        f'<dd class="status-failed">未通过 failed: {42 + 7 - 2 - len(cross)} passed, {2 + len(cross)} failed,'
        " 0 not checkable</dd>"
    ) in html
    assert ('<td>总计等于各类申请人之和 <span class="key">row_total</span></td><td>applications</td>'
            '<td>三、本年度办理结果 (一)予以公开 <span class="key">granted</span></td><td>99</td>') in html
    # the 2019 template: (六)其他处理 is one row, so the handled block spans 20 rows
    zmd = fetch(ds, f"/demo/reports/{ZMD}-2020").text
    assert 'rowspan="20" colspan="1">三、本年度办理结果</td>' in zmd


def test_cell_permalink_lands_on_the_cell(site):
    ds, records, _ = site
    cell = rows(ds, f"/demo/cells/{ZY}-2019,applications,new_received,total.json")
    expected = records["zy2019"]["tables"]["applications"]["new_received"]["total"]["value"]
    assert cell == [
        {
            "report_id": f"{ZY}-2019",
            "table_name": "applications",
            "row_key": "new_received",
            "column_key": "total",
            "value": expected,
            "raw": str(expected),
            "unit": None,
            "confidence": None,
        }
    ]
    html = fetch(ds, f"/demo/cells/{ZY}-2019,applications,new_received,total").text
    assert f'<a href="/demo/reports/{ZY}-2019#applications-new_received-total">' in html
    review = rows(ds, f"/demo/cells/{ZY}-2019,review_litigation,counts,review_total.json")
    assert review[0]["value"] == records["zy2019"]["tables"]["review_litigation"]["review_total"]["value"]


def test_snapshot_pages(site):
    ds, _, snaps = site
    snap = rows(ds, f"/demo/snapshots/{snaps['zy2019']}.json")[0]
    assert (snap["url"], snap["status"], snap["fetched_at"]) == (
        "https://gov.example.cn/nb/zy2019.htm",
        200,
        "2022-03-03T00:00:00Z",
    )
    raw = fetch(ds, f"/-/snapshot/{snaps['zy2019']}")
    assert raw.status_code == 200 and raw.headers["content-type"] == "text/plain; charset=utf-8"
    assert raw.text == f"<html>zy2019{EVIL}</html>" and raw.headers["x-content-type-options"] == "nosniff"
    assert fetch(ds, "/-/snapshot/nope").status_code == 404


def test_canned_queries(site):
    ds, records, _ = site
    henan = rows(ds, "/demo/reports_by_province.json?province=河南省&year=")
    assert [(r["id"], r["year"], r["check_status"]) for r in henan] == [
        (f"{ZMD}-2021", 2021, "failed"),
        (f"{ZMD}-2020", 2020, "passed"),
    ]
    assert [r["id"] for r in rows(ds, "/demo/reports_by_province.json?province=河南省&year=2020")] == [
        f"{ZMD}-2020"
    ]
    failing = rows(ds, "/demo/failing_reports.json?province=")
    cross = cross_year_failures(records)
    assert [(r["id"], r["checks_failed"]) for r in failing] == [(f"{ZMD}-2021", 2 + len(cross))]
    assert sorted(failing[0]["failed"].split()) == sorted(
        ["handled_sum:total", "row_total:granted"] + [f"carried_over_last_year:{c}" for c in cross]
    )
    # deadlines: a zone's 2020 report published 2021-02-22 is on time (31 March, docs/archive.md);
    # 沾益区's 2019 report published 2020-04-21 is 21 days after a government's 31 March
    late = rows(ds, "/demo/late_or_missing.json?year=2020")
    assert [(r["problem"], r["organization"], r["year"], r["days_late"]) for r in late] == [
        ("missing", "沾益区", 2020, None),
    ]
    late = rows(ds, "/demo/late_or_missing.json?year=2019")
    assert [(r["problem"], r["organization"], r["year"], r["days_late"]) for r in late] == [
        ("late", "沾益区", 2019, 21),
    ]
    totals = rows(ds, "/demo/yearly_totals.json?province=河南省")
    apps20 = records["zmd2020"]["tables"]["applications"]
    assert [(r["year"], r["reports"]) for r in totals] == [(2020, 1), (2021, 1)]
    assert totals[0]["granted"] == apps20["granted"]["total"]["value"]
    assert totals[0]["handled_total"] == apps20["handled_total"]["total"]["value"]
    assert totals[1]["granted"] == 99


def test_chinese_search_long_and_short(site):
    ds, _, _ = site
    long = rows(ds, "/demo/search.json?q=经济开发")
    # one result per report, its best passage: the title, highlighted
    assert [(r["report_id"], r["section"]) for r in long] == [
        (f"{ZMD}-2021", "标题 · title"), (f"{ZMD}-2020", "标题 · title")]
    assert all("【经济开发】" in r["excerpt"] for r in long)
    overview = rows(ds, "/demo/search.json?q=的总体情况")
    assert any(r["section"] == "总体情况 · overview" and "【的总体情况】" in r["excerpt"] for r in overview)
    short = rows(ds, "/demo/search.json?q=沾益")
    assert {r["report_id"] for r in short} == {f"{ZY}-2019"}
    # table search box: 3+ characters via FTS, 1-2 characters via the LIKE fallback
    assert [r["id"] for r in rows(ds, "/demo/reports.json?_search=驻马店")] == [f"{ZMD}-2020", f"{ZMD}-2021"]
    assert [r["id"] for r in rows(ds, "/demo/reports.json?_search=沾益")] == [f"{ZY}-2019"]
    assert [r["id"] for r in rows(ds, "/demo/reports.json?_search=益")] == [f"{ZY}-2019"]
    assert [r["id"] for r in rows(ds, "/demo/sections.json?_search=沾益区2019年的总体")] == [
        f"{ZY}-2019-overview"
    ]


def test_chart_page(site):
    ds, records, _ = site
    html = fetch(ds, "/-/chart?province=河南省").text
    apps = {y: records[k]["tables"]["applications"] for y, k in ((2020, "zmd2020"), (2021, "zmd2021"))}
    for year, t in apps.items():
        handled = sum(
            t[k]["total"]["value"]
            for k in t
            if k not in ("new_received", "carried_over", "handled_total", "carried_forward")
        )
        assert f'data-year="{year}" data-total="{handled}"' in html
    assert "<option selected>河南省</option>" in html and "<option>云南省</option>" in html
    assert "<svg" in html


def test_everything_stored_is_escaped(site):
    ds, _, _ = site
    for path in (
        "/demo/reports",
        f"/demo/reports/{PT}-2022",
        "/demo/search?q=script",
        f"/demo/cells/{PT}-2022,applications,granted,natural_person",
        "/demo/sections",
    ):
        html = fetch(ds, path).text
        assert "<script>alert" not in html, path
    report = fetch(ds, f"/demo/reports/{PT}-2022").text
    assert "平潭&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;年报" in report
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</a></td>" in report


def test_read_only_with_time_limit(site):
    ds, _, _ = site
    assert ds.setting("sql_time_limit_ms") == 3000
    assert rows(ds, "/demo.json?sql=select+count(*)+as+n+from+reports") == [{"n": 4}]
    refused = fetch(ds, "/demo.json?sql=delete+from+reports")
    assert refused.status_code == 400 and "Statement must be a SELECT" in refused.text
    slow = fetch(
        ds,
        "/demo.json?sql=with+recursive+c(x)+as+(select+1+union+all+select+x%2B1+from+c)"
        "+select+count(*)+from+c",
    )
    assert slow.status_code == 400 and "interrupted" in slow.text.lower()


def test_serve_rejects_bad_databases(tmp_path, capsys):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all")
    assert main(["serve", "--db", str(junk)]) == 2
    assert main(["serve", "--db", str(tmp_path / "missing.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"nianbao serve: {junk} is not an SQLite database",
        f"nianbao serve: no archive at {tmp_path / 'missing.db'}",
    ]
