"""What researchers, journalists and lawyers see (issue 13 §2-§6), through datasette.client on
real archive files: pinned citations that survive a changing re-ingest, the citation block,
originals downloaded as themselves, body and province pages, links, labels, uncertain values,
province spellings, default parameters and the wide export (CSV with BOM, XLSX)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from datetime import date

import pytest

import archive
from archive import coverage
from nianbao.site.app import make_datasette
from parsers import keys
from tests.archive_fixtures import make_record, set_cell

URL = "https://gov.example.cn/zmd/2021nb.htm"
CITY = "驻马店市人民政府"


def fetch(ds, path):
    return asyncio.run(ds.client.get(path))


def serve(path):
    return make_datasette(path)


def pinned_link(html: str) -> str:
    m = re.search(r'class="pinned-link" href="http://localhost(/-/pinned/[^"]+)"', html)
    assert m, html[-3000:]
    return m.group(1)


def granted(record):
    return record["tables"]["applications"]["granted"]["total"]["value"]


@pytest.fixture()
def changing(tmp_path):
    """A city's 2021 report at snapshot 1; later a newer snapshot changes 予以公开·总计."""
    path = tmp_path / "cite.db"
    db = archive.open_archive(path)
    first = make_record("2021", organization=CITY, year=2021, published="2022-03-01", seed=4)
    s1, _ = archive.save_snapshot(db, url=URL, body=b"<html>first</html>", fetched_at="2022-03-02T08:00:00Z")
    rid = archive.save_report(db, first, snapshot_id=s1, url=URL)
    archive.store.checkpoint(db)
    return path, db, rid, s1, first


def test_pinned_value_survives_a_reingest_that_changed_it(changing):
    path, db, rid, s1, first = changing
    cell = f"/cite/cells/{rid},applications,granted,total"
    before = fetch(serve(path), cell).text
    pinned = pinned_link(before)
    assert pinned == f"/-/pinned/{rid}/{s1}/applications/granted/total"
    was = granted(first)
    # the pinned page before any change: the value, and "this is also the current reading"
    page = fetch(serve(path), pinned).text
    assert f'<dd class="cite-value">{was}</dd>' in page and "这也是当前版本" in page

    # a newer snapshot with another number
    second = set_cell(first, "applications", "granted", "total", was + 5)
    s2, _ = archive.save_snapshot(db, url=URL, body=b"<html>second</html>", fetched_at="2023-01-05T08:00:00Z")
    assert archive.save_report(db, second, snapshot_id=s2, url=URL) == rid
    archive.store.checkpoint(db)
    ds = serve(path)
    page = fetch(ds, pinned)
    assert page.status_code == 200
    assert f'<dd class="cite-value">{was}</dd>' in page.text  # the pinned value never changes
    assert "已更新 Changed:" in page.text and "a newer snapshot" in page.text
    assert f'<a class="current-link" href="/cite/cells/{rid},applications,granted,total">' in page.text
    assert f"pinned 固定 <strong>{was}</strong> → current 当前" in page.text
    assert f"<strong>{was + 5}</strong>" in page.text
    # the unpinned permalink resolves to the latest value, and now pins the new snapshot
    now = fetch(ds, cell + ".json?_shape=array").json()
    assert now[0]["value"] == was + 5
    assert pinned_link(fetch(ds, cell).text) == f"/-/pinned/{rid}/{s2}/applications/granted/total"
    # the pinned report page shows the old tables and lists the change
    report = fetch(ds, f"/-/pinned/{rid}/{s1}").text
    assert f'<a href="/-/pinned/{rid}/{s1}/applications/granted/total">{was}</a>' in report
    assert "changed 1 value." in report

    # a better parse of the same (newest) snapshot: that snapshot's pin keeps its first reading
    third = set_cell(second, "applications", "granted", "total", was + 6)
    archive.save_report(db, third, snapshot_id=s2, url=URL)
    archive.store.checkpoint(db)
    ds = serve(path)
    page = fetch(ds, f"/-/pinned/{rid}/{s2}/applications/granted/total").text
    assert f'<dd class="cite-value">{was + 5}</dd>' in page and "a newer reading of this snapshot" in page
    assert fetch(ds, f"/-/pinned/{rid}/{s1}/applications/granted/total").text.count(
        f'<dd class="cite-value">{was}</dd>') == 1
    assert fetch(ds, cell + ".json?_shape=array").json()[0]["value"] == was + 6
    assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == 2
    assert fetch(ds, f"/-/pinned/{rid}/0000000000000000-00000000").status_code == 404


def test_cell_page_has_what_a_citation_needs(changing):
    path, _db, rid, s1, first = changing
    html = fetch(serve(path), f"/cite/cells/{rid},applications,denied_state_secret,commercial").text
    value = first["tables"]["applications"]["denied_state_secret"]["commercial"]["value"]
    sha = __import__("hashlib").sha256(b"<html>first</html>").hexdigest()
    assert '<dd class="cite-body">驻马店市人民政府 · 市级人民政府 <span class="key">city</span> · 河南省 驻马店市</dd>' in html
    assert '<dd class="cite-year">2021</dd>' in html
    assert ('<dd class="cite-table">三、收到和处理政府信息公开申请情况 <span class="key">applications</span></dd>'
            in html)
    assert ('<dd class="cite-row">三、本年度办理结果 (三)不予公开 1.属于国家秘密 '
            '<span class="key">denied_state_secret</span></dd>') in html
    assert '<dd class="cite-column">法人或其他组织 · 商业企业 <span class="key">commercial</span></dd>' in html
    assert f'<dd class="cite-value">{value}</dd>' in html and f'<dd class="cite-raw"><code>{value}</code></dd>' in html
    assert f'<a href="{URL}" rel="nofollow noopener">{URL}</a>' in html
    assert f'<code class="cite-sha256">{sha}</code>' in html
    assert '<span class="cite-fetched">2022-03-02T08:00:00Z</span>' in html
    zh = re.search(r'<textarea id="cite-zh"[^>]*>([^<]+)</textarea>', html).group(1)
    en = re.search(r'<textarea id="cite-en"[^>]*>([^<]+)</textarea>', html).group(1)
    pinned = f"http://localhost/-/pinned/{rid}/{s1}/applications/denied_state_secret/commercial"
    assert zh.startswith("驻马店市人民政府：《驻马店市人民政府2021年政府信息公开工作年度报告》（2021年度），"
                         "三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 (三)不予公开 1.属于国家秘密 ›"
                         f" 法人或其他组织 · 商业企业：{value}（原文“{value}”）。原文：{URL}；快照 SHA-256 {sha}")
    assert f"年报存档 nianbao：{pinned}" in zh
    assert en.startswith(f"驻马店市人民政府, &#34;驻马店市人民政府2021年政府信息公开工作年度报告&#34; (report year 2021),"
                         f" applications / denied_state_secret / commercial = {value}")
    assert f"nianbao archive: {pinned}" in en
    # the report page has the same block, pinned to the report at this snapshot
    report = fetch(serve(path), f"/cite/reports/{rid}").text
    assert pinned_link(report) == f"/-/pinned/{rid}/{s1}"
    assert '<dd class="cite-body">驻马店市人民政府' in report and "cite-value" not in report
    assert f'<a class="download" href="/-/original/{s1}">' in report


DOCX = io.BytesIO()
with zipfile.ZipFile(DOCX, "w") as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/document.xml", "<w:document/>")
ORIGINALS = [
    # (url, headers, bytes, media type, file name)
    ("https://gov.example.cn/files/2021年报.pdf", {}, b"%PDF-1.4\n%\xe2\xe3\n1 0 obj", "application/pdf",
     "2021年报.pdf"),
    ("https://gov.example.cn/download.jsp?id=7", {"Content-Disposition": 'attachment; filename="nb2021.docx"'},
     DOCX.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "nb2021.docx"),
    ("https://gov.example.cn/f/report", {"Content-Type": "application/octet-stream"},
     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "application/msword", "report.doc"),
    ("https://gov.example.cn/art/2022/1/5/art_1.html", {"Content-Type": "text/html; charset=utf-8"},
     "<html><body>年报</body></html>".encode(), "text/html; charset=utf-8", "art_1.html"),
    ("https://gov.example.cn/nb/index.htm", {}, b"<!DOCTYPE html><html></html>", "text/html; charset=utf-8",
     "index.htm"),
    # the name as Chinese servers send it: raw GBK bytes (stored as latin-1 characters, as the crawler
    # keeps them), RFC 5987 in GBK, GBK percent-encoded by Java's URLEncoder
    ("https://gov.example.cn/DownLoad.aspx?id=8",
     {"Content-Disposition": 'attachment; filename="' + "2022年度报告.pdf".encode("gbk").decode("latin-1") + '"'},
     b"%PDF-1.7\n", "application/pdf", "2022年度报告.pdf"),
    ("https://gov.example.cn/down?id=9", {"Content-Disposition": "attachment; filename*=GBK''%C4%EA%B1%A8.pdf"},
     b"%PDF-1.7\n", "application/pdf", "年报.pdf"),
    ("https://gov.example.cn/down?id=10", {"Content-Disposition": "attachment; filename=%C4%EA%B1%A8.pdf"},
     b"%PDF-1.7\n", "application/pdf", "年报.pdf"),
]


def test_ocr_confidence_is_kept_and_shown(tmp_path):
    # a scanned report's cells keep the OCR engine's confidence (schema 18); a cell read from text has none
    path = tmp_path / "ocr.db"
    db = archive.open_archive(path)
    record = make_record("2021", organization=CITY, year=2021, published="2022-03-01", seed=4)
    record["tables"]["applications"]["granted"]["total"]["confidence"] = 0.873
    rid = archive.save_report(db, record, snapshot_id=None, url=URL)
    archive.store.checkpoint(db)
    stored = dict(db.execute("SELECT row_key || '.' || column_key, confidence FROM cells WHERE report_id = ?"
                             " AND table_name = 'applications' AND row_key IN ('granted', 'denied_state_secret')",
                             [rid]).fetchall())
    assert stored["granted.total"] == 0.873 and stored["denied_state_secret.total"] is None
    ds = serve(path)
    html = fetch(ds, f"/ocr/cells/{rid},applications,granted,total").text
    assert '<dd class="cite-confidence">0.873 · 扫描件识别 read from a scan</dd>' in html
    assert "cite-confidence" not in fetch(ds, f"/ocr/cells/{rid},applications,granted,natural_person").text


def test_originals_download_as_themselves(tmp_path):
    path = tmp_path / "orig.db"
    db = archive.open_archive(path)
    ids = []
    for n, (url, headers, body, _media, _name) in enumerate(ORIGINALS):
        sid, _ = archive.save_snapshot(db, url=url, body=body, fetched_at=f"2022-03-0{n + 1}T00:00:00Z",
                                       headers=headers)
        ids.append(sid)
    archive.store.checkpoint(db)
    ds = serve(path)
    from urllib.parse import quote

    for sid, (_url, _h, body, media, name) in zip(ids, ORIGINALS, strict=True):
        got = fetch(ds, f"/-/original/{sid}")
        assert got.status_code == 200 and got.content == body
        assert got.headers["content-type"] == media, name
        assert got.headers["content-disposition"].endswith(f"filename*=UTF-8''{quote(name)}"), name
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
        page = fetch(ds, f"/orig/snapshots/{sid}").text
        assert f'<a class="download" href="/-/original/{sid}">' in page
    assert fetch(ds, "/-/original/nope").status_code == 404


def demo(tmp_path):
    """Two governments and a department of 河南 over three years, one glued cell."""
    path = tmp_path / "demo.db"
    db = archive.open_archive(path)
    recs = {
        "city2020": make_record("2019", organization=CITY, year=2020, published="2021-03-30", seed=2),
        "city2021": make_record("2021", organization="河南省驻马店市人民政府", year=2021, published="2022-04-05",
                                seed=3),
        "dept2021": set_cell(make_record("2021", organization="驻马店市财政局", year=2021, published="2022-02-03",
                                         seed=5), "applications", "denied_state_secret", "total", 50),
        "county2021": make_record("2021", organization="确山县人民政府", year=2021, published=None, seed=6),
    }
    recs["county2021"]["published"] = None
    glued = recs["dept2021"]["tables"]["applications"]["granted"]
    glued["natural_person"] = {"value": None, "raw": "713000074"}
    recs["dept2021"]["problems"] = ["applications.granted: glued digits '713000074' have 2 readings; values left null"]
    recs["untitled"] = make_record("2021", organization="x", year=2021)
    recs["untitled"]["title"] = None
    recs["untitled"]["organization"] = None
    ids = {}
    for n, (name, rec) in enumerate(recs.items()):
        url = f"https://gov.example.cn/nb/{name}.htm"
        sid, _ = archive.save_snapshot(db, url=url, body=name.encode(), fetched_at=f"2022-05-0{n + 1}T00:00:00Z")
        ids[name] = archive.save_report(db, rec, snapshot_id=sid, url=url)
    archive.store.checkpoint(db)
    db.conn.close()
    return path, recs, ids


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path, recs, ids = demo(tmp_path_factory.mktemp("pages"))
    return serve(path), recs, ids


def test_report_without_title_or_organization_shows_what_is_known(site):
    ds, _, ids = site
    html = fetch(ds, f"/demo/reports/{ids['untitled']}").text
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert h1 == "未识别机关 unidentified body 2021年度报告"
    assert "None" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_days_late_and_deadline_on_the_report_page(site):
    ds, _, ids = site
    city = fetch(ds, f"/demo/reports/{ids['city2021']}").text
    assert ('<dd class="published">2022-04-05 · 期限 deadline 2022-03-31 · '
            '<span class="state-late">逾期 5 天 days late</span></dd>') in city
    dept = fetch(ds, f"/demo/reports/{ids['dept2021']}").text
    assert "期限 deadline 2022-01-31 · <span class=\"state-late\">逾期 3 天 days late</span>" in dept
    county = fetch(ds, f"/demo/reports/{ids['county2021']}").text
    assert ('日期不明 unknown · 期限 deadline 2022-03-31 · <span class="state-unknown_date">'
            '是否按时不明 timeliness unknown</span>') in county


def test_uncertain_value_is_marked_wherever_shown(site):
    ds, _, ids = site
    rid = ids["dept2021"]
    report = fetch(ds, f"/demo/reports/{rid}").text
    assert ('<td id="applications-granted-natural_person" class="value failed uncertain"' in report
            or '<td id="applications-granted-natural_person" class="value uncertain"' in report)
    assert f'/demo/cells/{rid},applications,granted,natural_person">713000074 <span class="uncertain-mark">？不确定</span>' in report
    cell = fetch(ds, f"/demo/cells/{rid},applications,granted,natural_person").text
    assert '<dd class="cite-value uncertain">不确定 uncertain（印为 printed “713000074”）</dd>' in cell
    assert '<span class="uncertain" title="数字不确定：读法不唯一或未经核对">不确定 uncertain</span>' in cell
    body = fetch(ds, f"/demo/bodies/{rid.rsplit('-', 1)[0]}").text
    assert '713000074 <span class="uncertain-mark">？不确定</span>' in body
    rows = wide_csv(ds, "/-/export/wide.csv?year=2021&level=department")
    assert rows[1][rows[0].index("三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 (一)予以公开 › 自然人"
                                 " applications.granted.natural_person")] == ""
    assert rows[1][-1] == "applications.granted.natural_person"


def test_body_page_side_by_side(site):
    ds, recs, ids = site
    body = ids["city2020"].rsplit("-", 1)[0]
    # 河南省驻马店市人民政府 is another spelling of the same government: another body (named by its
    # name, a permalink), shown on this one's page (same canonical_id, tests/test_body_spellings.py)
    assert not ids["city2021"].startswith(body)
    html = fetch(ds, f"/demo/bodies/{body}").text
    assert f'<a class="report-link" href="/demo/reports/{ids["city2020"]}">{ids["city2020"]}</a>' in html
    assert f'<a class="report-link" href="/demo/reports/{ids["city2021"]}">{ids["city2021"]}</a>' in html
    year_cells = re.findall(r'<td class="state-(\w+)" data-year="(\d+)">', html)
    last = coverage.latest_complete_year()
    assert year_cells[:2] == [("on_time", "2020"), ("late", "2021")]
    assert ("missing", str(last)) in year_cells
    row = re.search(r'<tr data-key="applications.granted.total">(.*?)</tr>', html, re.S).group(1)
    v20 = granted(recs["city2020"])
    assert f'>{v20}</a></td>' in row


def test_province_page_coverage_and_charts(site):
    ds, recs, ids = site
    for key in ("henan", "河南", "河南省", "41", "410000"):
        html = fetch(ds, f"/-/province/{key}").text
        assert '<h1 class="province-name">河南省 <span class="key">41</span></h1>' in html, key
    assert fetch(ds, "/-/province/河楠").status_code == 404
    governments = [g for g in coverage.governments() if g["province_code"] == "41"]
    zmd = re.search(r'<tr data-code="4117">(.*?)</tr>', html, re.S).group(1)
    assert f'<td class="state-on_time" data-year="2020" data-state="on_time" title="按时公开 on_time">' \
           f'<a class="report-link" href="/demo/reports/{ids["city2020"]}">✓</a></td>' in zmd
    assert f'<a class="report-link" href="/demo/reports/{ids["city2021"]}">逾期5天</a>' in zmd
    county = re.search(r'<tr data-code="411725">(.*?)</tr>', html, re.S).group(1)
    assert 'data-year="2021" data-state="unknown_date"' in county and 'data-year="2020" data-state="missing"' in county
    years = list(range(2020, date.today().year))
    total = len(governments) * len(years)
    counts = dict(re.findall(r'<td class="num" data-state="(\w+)">(\d+)</td>', html))
    assert {k: int(v) for k, v in counts.items()} == {
        "on_time": 1, "late": 1, "unknown_date": 1, "not_yet_due": 0, "missing": total - 3}
    city = re.search(r'<tr data-city="驻马店市">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num state-(\w+)">(\d+)</td>', city)[:3] == [
        ("on_time", "1"), ("late", "1"), ("unknown_date", "1")]
    assert "驻马店市财政局</a> · 政府部门 <span class=\"key\">department</span>" in html
    assert f'<a class="report-link" href="/demo/reports/{ids["dept2021"]}">2021</a>' in html
    bars = dict(re.findall(r'<svg class="chart applications".*?</svg>', html, re.S)[0] and
                re.findall(r'<g class="bar" data-year="(\d+)" data-total="(\d+)">', html.split('class="chart review"')[0]))
    assert set(bars) == {"2020", "2021"}
    review = re.search(r'<svg class="chart review" data-group="review".*?</svg>', html, re.S).group(0)
    r21 = sum(recs[k]["tables"]["review_litigation"][f"review_{o}"]["value"]
              for k in ("city2021", "dept2021", "county2021") for o in ("upheld", "corrected", "other", "pending"))
    assert f'data-year="2021" data-total="{r21}"' in review


def test_coverage_view_in_sql(site):
    ds, _, ids = site
    rows = fetch(ds, "/demo/coverage.json?_shape=array&province_code=41&division_code=4117").json()
    got = {r["year"]: (r["status"], r["report_id"]) for r in rows}
    assert got[2020] == ("on_time", ids["city2020"]) and got[2021] == ("late", ids["city2021"])
    assert all(s == "missing" for y, (s, _r) in got.items() if y > 2021)


def report_ids_linked(html: str, db="demo") -> tuple[set, set]:
    text_ids = set(re.findall(r">\s*(\d{6}-[0-9a-f]{8}-\d{4})\s*<", html))
    # our links, or Datasette's own link of a foreign key (title, then the id in <em>)
    linked = set(re.findall(rf'<a (?:class="report-link" )?href="/{db}/reports/(\d{{6}}-[0-9a-f]{{8}}-\d{{4}})">', html))
    return text_ids, linked


@pytest.mark.parametrize("path", [
    "/demo/reports_by_province?province=henan&year=",
    "/demo/reports_by_province?province=&year=2021",
    "/demo/failing_reports?province=41",
    "/demo/late_or_missing?year=2021",
    "/demo/search?q=驻马店",
    "/demo/search?q=年度",
    "/demo/failed_checks",
    "/demo/coverage?province_code=41&_sort=report_id&report_id__notblank=1",
    "/demo/cells?report_id__startswith=411700",
    "/demo/checks?status=failed",
])
def test_every_report_id_on_a_query_page_links_to_its_report(site, path):
    ds, _, _ = site
    html = fetch(ds, path).text
    shown, linked = report_ids_linked(html)
    assert shown, path
    assert shown == linked, path


def test_search_one_result_per_report_ranked_and_highlighted(site):
    ds, _, ids = site
    rows = fetch(ds, "/demo/search.json?_shape=array&q=驻马店").json()
    assert len({r["report_id"] for r in rows}) == len(rows) >= 3
    top = rows[0]
    assert top["section"] == "标题 · title" and "【驻马店】" in top["excerpt"]
    short = fetch(ds, "/demo/search.json?_shape=array&q=财政").json()
    assert [r["report_id"] for r in short] == [ids["dept2021"]] and "【财政】" in short[0]["excerpt"]
    html = fetch(ds, "/demo/search?q=财政").text
    assert "<mark>财政</mark>" in html
    empty = fetch(ds, "/demo/search.json?_shape=array&q=").json()
    assert empty[0]["excerpt"].startswith("请输入检索词 Enter a search term")
    sections = fetch(ds, "/demo/search.json?_shape=array&q=总体情况:确山").json()
    assert sections[0]["section"] == "总体情况 · overview" and "【总体情况:确山】" in sections[0]["excerpt"]


@pytest.mark.parametrize("spelling", ["河南", "河南省", "henan", "HeNan", "41", "410000"])
def test_province_spellings_in_filters_and_queries(site, spelling):
    ds, _, _ = site
    from urllib.parse import quote

    q = quote(spelling)
    want = {r["id"] for r in fetch(ds, "/demo/reports.json?_shape=array&province=河南省").json()}
    assert len(want) == 4
    assert {r["id"] for r in fetch(ds, f"/demo/reports.json?_shape=array&province={q}").json()} == want
    assert {r["id"] for r in fetch(ds, f"/demo/reports_by_province.json?_shape=array&province={q}&year=").json()} \
        == want
    assert len(fetch(ds, f"/demo/yearly_totals.json?_shape=array&province={q}").json()) == 2
    assert fetch(ds, f"/demo/coverage.json?_shape=array&province_code={q}&_size=1").json()[0]["province"] == "河南省"


def test_unknown_province_and_empty_parameters_say_what_they_do(site):
    ds, _, _ = site
    bad = fetch(ds, "/demo/reports?province=河楠")
    assert bad.status_code == 400 and "name it as 河南, 河南省, henan or 41" in bad.text
    assert fetch(ds, "/-/export/wide.csv?province=atlantis").status_code == 400
    assert fetch(ds, "/-/export/wide.csv?year=twenty").status_code == 400
    # other operators keep their meaning
    assert len(fetch(ds, "/demo/reports.json?_shape=array&province__contains=河").json()) == 4
    assert fetch(ds, "/demo/reports.json?_shape=array&province__not=henan").json() == []
    # empty year: the latest complete year (capped at the archive's latest year, 2021 here)
    late = fetch(ds, "/demo/late_or_missing.json?_shape=array&year=").json()
    # (驻马店市人民政府 is not missing in 2021: it reported as 河南省驻马店市人民政府, another spelling)
    assert {(r["problem"], r["year"]) for r in late} == {("late", 2021)}
    by_province = fetch(ds, "/demo/reports_by_province.json?_shape=array&province=&year=").json()
    assert {r["year"] for r in by_province} == {2021} and len(by_province) == 4


def test_labels_table_and_labels_on_pages(site):
    ds, _, ids = site
    labels = fetch(ds, "/demo/labels.json?_shape=array&_size=max").json()
    index = {(r["kind"], r["table_name"], r["key"]): r["zh"] for r in labels}
    assert index["row", "applications", "granted"] == "三、本年度办理结果 (一)予以公开"
    assert index["row", "applications", "new_received"] == "一、本年新收政府信息公开申请数量"
    assert index["column", "review_litigation", "suit_after_review_corrected"] == "行政诉讼 · 复议后起诉 · 结果纠正"
    assert index["column", "applications", "legal_service"] == "法人或其他组织 · 法律服务机构"
    assert index["table", "", "review_litigation"] == "四、政府信息公开行政复议、行政诉讼情况"
    assert index["rule", "", "balance"] == "第一项加第二项之和等于第三项加第四项之和"
    assert index["status", "", "not_checkable"] == "无法检查（有空白单元格）"
    assert index["level", "", "zone"] == "开发区、园区管理机构"
    for fmt in ("2019", "2021"):
        for row in keys.row_keys("applications", fmt):
            assert ("row", "applications", row) in index
        for row, _l, _i, cols in keys.ACTIVE_DISCLOSURE[fmt]:
            assert ("row", "active_disclosure", row) in index
            assert all(("column", "active_disclosure", c) in index for c in cols)
    for col in keys.REVIEW_COLUMNS + keys.APPLICATION_COLUMNS:
        assert any(k[0] == "column" and k[2] == col for k in index)
    # users can join it
    sql = ("select c.row_key, l.zh from cells c join labels l on l.kind = 'row' and l.table_name = c.table_name"
           f" and l.key = c.row_key where c.report_id = '{ids['city2021']}' and c.column_key = 'total'"
           " and c.row_key = 'carried_forward'")
    from urllib.parse import quote

    assert fetch(ds, f"/demo.json?_shape=array&sql={quote(sql)}").json() == [
        {"row_key": "carried_forward", "zh": "四、结转下年度继续办理"}]
    cells = fetch(ds, f"/demo/cells?report_id={ids['city2021']}&row_key=granted&column_key=total").text
    assert '<span class="zh">三、本年度办理结果 (一)予以公开</span> <span class="key">granted</span>' in cells
    checks = fetch(ds, "/demo/checks?status=failed").text
    assert '<span class="zh">未通过</span> <span class="key">failed</span>' in checks
    # every column header (tables, views, canned queries) shows its Chinese label before the key
    assert '<link rel="stylesheet" href="/-/nianbao/labels.css">' in checks
    css = fetch(ds, "/-/nianbao/labels.css").text
    for column, zh in (("report_id", "报告"), ("province", "省"), ("days_late", "逾期天数"), ("excerpt", "摘录"),
                       ("row_key", "行"), ("status", "结果")):
        assert f'.rows-and-columns th.col-{column}::before {{ content: "{zh} "; font-weight: normal; }}' in css


def wide_csv(ds, path) -> list[list[str]]:
    got = fetch(ds, path)
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


def test_wide_csv_export(site):
    ds, recs, ids = site
    rows = wide_csv(ds, "/-/export/wide.csv?province=henan")
    head = rows[0]
    assert head[:4] == ["报告永久链接 id", "机关编号 body_id", "发布机关 organization", "省 province"]
    assert "逾期天数 days_late" in head and "勾稽检查 check_status" in head and "模板版本 format" in head
    col = head.index("三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 (一)予以公开 › 总计 applications.granted.total")
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {ids[k] for k in ("city2020", "city2021", "dept2021", "county2021")}
    assert by_id[ids["city2021"]][col] == str(granted(recs["city2021"]))
    assert by_id[ids["city2021"]][head.index("逾期天数 days_late")] == "5"
    assert by_id[ids["county2021"]][head.index("逾期天数 days_late")] == ""
    assert by_id[ids["city2020"]][head.index("层级 level")] == "city"
    fees = head.index("二、主动公开政府信息情况 › 行政事业性收费 › 本年收费金额(单位:万元) active_disclosure.fees.amount")
    assert by_id[ids["city2021"]][fees] == "25829.67"
    assert len(rows) == 5 and all(len(r) == len(head) for r in rows)


def test_wide_xlsx_export(site):
    import openpyxl

    ds, recs, ids = site
    got = fetch(ds, "/-/export/wide.xlsx?province=41&year=2021")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    head = values[0]
    assert head[0] == "报告永久链接 id" and head[-1] == "不确定的单元格 uncertain_cells"
    col = head.index("四、政府信息公开行政复议、行政诉讼情况 › 行政复议 · 总计 review_litigation.counts.review_total")
    by_id = {r[0]: r for r in values[1:]}
    assert set(by_id) == {ids[k] for k in ("city2021", "dept2021", "county2021")}
    rec = recs["dept2021"]
    assert by_id[ids["dept2021"]][col] == rec["tables"]["review_litigation"]["review_total"]["value"]
    assert by_id[ids["dept2021"]][head.index("逾期天数 days_late")] == 3
    assert by_id[ids["county2021"]][head.index("发布日期 published")] is None


def test_cli_version_and_quiet_broken_pipe(tmp_path):
    import subprocess
    import sys

    from tests.test_browser_site import ROOT

    out = subprocess.run([sys.executable, "-m", "nianbao", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and re.fullmatch(r"nianbao \d+\.\d+\.\d+\S*\n", out.stdout)
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*"))[:6]
    assert seeds
    shell = f"{sys.executable} -m nianbao parse {' '.join(map(str, seeds * 4))} | head -c 200 > /dev/null"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {shell}"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.stderr == ""  # no BrokenPipe traceback
    assert done.returncode in (0, 141)


def test_a_client_disconnecting_during_a_download_leaves_one_log_line(tmp_path):
    """Real uvicorn (nianbao serve): read the start of two long CSV downloads, hang up."""
    import socket
    import subprocess
    import sys
    import time

    from benchmarks.archive_generate import generate
    from tests.test_browser_site import ROOT, free_port

    path = tmp_path / "big.db"
    generate(path, 2000)
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nianbao", "serve", "--db", str(path), "--port", str(port),
                                 "--no-warm"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        for target in ("/big/cells.csv?_stream=on&_size=max", "/-/export/wide.csv"):
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            got = b""
            while len(got) < 20_000:
                got += s.recv(65536)
            assert b" 200 OK" in got.split(b"\r\n", 1)[0]
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            s.close()
            time.sleep(3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = log.read_text().splitlines()
    assert not [x for x in lines if "socket.send() raised exception" in x]
    gone = [x for x in lines if "client disconnected from" in x]
    assert [x.split(" after ")[0] for x in gone] == [
        "client disconnected from /big/cells.csv", "client disconnected from /-/export/wide.csv"]


def test_home_links_provinces_and_facets_show_labels(site):
    ds, _, _ = site
    home = fetch(ds, "/").text
    assert '<a href="/-/province/41">河南</a>' in home and '<a href="/-/province/45">广西</a>' in home
    assert '<a href="/-/province/65">新疆</a>' in home
    assert '<a href="/-/export/wide.csv">CSV</a>' in home and '<a href="/demo/coverage">' in home
    page = fetch(ds, "/demo/reports").text
    assert re.search(r'<strong>层级 level\s*<span class="facet-info-total">', page)
    assert re.search(r'level=department">department</a> <span class="zh">政府部门</span> 1</li>', page)


def test_merge_keeps_the_replaced_reading_pinned(tmp_path):
    from archive.merge import merge_archives

    first = make_record("2021", organization=CITY, year=2021, seed=4)
    second = set_cell(first, "applications", "granted", "total", granted(first) + 9)
    shards = []
    for n, (rec, when) in enumerate(((first, "2022-03-02T00:00:00Z"), (second, "2023-03-02T00:00:00Z"))):
        path = tmp_path / f"shard{n}.db"
        db = archive.open_archive(path)
        sid, _ = archive.save_snapshot(db, url=URL, body=f"v{n}".encode(), fetched_at=when)
        rid = archive.save_report(db, rec, snapshot_id=sid, url=URL)
        db.conn.close()
        shards.append((path, sid))
    dest = tmp_path / "merged.db"
    merge_archives(dest, [shards[0][0]])
    merge_archives(dest, [shards[1][0]])
    ds = serve(dest)
    page = fetch(ds, f"/-/pinned/{rid}/{shards[0][1]}/applications/granted/total").text
    assert f'<dd class="cite-value">{granted(first)}</dd>' in page and "已更新 Changed:" in page
    assert fetch(ds, f"/merged/cells/{rid},applications,granted,total.json?_shape=array").json()[0]["value"] \
        == granted(first) + 9


def test_serving_an_archive_written_before_these_migrations(tmp_path, monkeypatch, capsys):
    """An archive of schema 9 (before deadlines, pins, labels, coverage, short search, review
    sums, spellings), with reports in it: `nianbao serve` brings it up to date, and every new page works
    on the rows it already had."""
    from archive import schema, store
    from nianbao.commands import serve as serve_command

    path = tmp_path / "old.db"
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] <= 9])
    # the rows the writer of schema 9 wrote: no deadline, no metadata provenance, no review sums
    report_row, outcome_row, body_row = store.R.report_row, store.R.outcome_row, store.R.body_row
    monkeypatch.setattr(store.R, "body_row", lambda *a, **k: {
        c: v for c, v in body_row(*a, **k).items() if c != "canonical_id"})  # no spellings group before 17
    monkeypatch.setattr(store.R, "report_row", lambda *a, **k: {
        c: v for c, v in report_row(*a, **k).items() if c not in ("deadline", "metadata_from")})
    monkeypatch.setattr(store.R, "outcome_row", lambda *a, **k: {
        c: v for c, v in outcome_row(*a, **k).items() if c not in store.R.REVIEW_SUMS})
    cell_rows = store.R.cell_rows
    monkeypatch.setattr(store.R, "cell_rows", lambda *a, **k: [
        {c: v for c, v in row.items() if c != "confidence"} for row in cell_rows(*a, **k)])
    monkeypatch.setattr(store.crossyear, "REVIEW_SUMS", ())
    monkeypatch.setattr(store, "_foreign", lambda *a: False)  # no snapshots.site_code before migration 15
    db = archive.open_archive(path)
    rec = make_record("2021", organization=CITY, year=2021, published="2022-03-01", seed=4)
    rec["sections"]["overview"] = "本年度行政复议纠正一件"
    sid, _ = archive.save_snapshot(db, url=URL, body=b"old", fetched_at="2022-03-02T08:00:00Z")
    conn = db.conn
    rid = archive.save_report(db, rec, snapshot_id=sid, url=URL)
    assert "report_versions" not in db.table_names()
    conn.close()
    monkeypatch.undo()
    serve_command.upgrade_schema(path)
    assert "up to schema" in capsys.readouterr().out
    ds = serve(path)
    report = fetch(ds, f"/old/reports/{rid}").text
    assert "期限 deadline 2022-03-31 · <span class=\"state-on_time\">按时 on time</span>" in report
    assert pinned_link(report) == f"/-/pinned/{rid}/{sid}"
    hits = fetch(ds, "/old/search.json?_shape=array&q=复议").json()
    assert [(h["report_id"], h["section"]) for h in hits] == [(rid, "总体情况 · overview")]
    province = fetch(ds, "/-/province/henan").text
    review = rec["tables"]["review_litigation"]
    total = sum(review[f"review_{o}"]["value"] for o in ("upheld", "corrected", "other", "pending"))
    assert f'data-year="2021" data-total="{total}"' in province
    assert '<tr data-code="4117"><th class="gov-city">驻马店市</th>' in province
    serve_command.upgrade_schema(path)  # current: nothing to do
    assert capsys.readouterr().out == ""
