"""The public site cannot be exhausted (issue 12 item 4), odd URLs answer 4xx (item 11),
a table's CSV exports every matching row (issue 13 §5): `nianbao serve` of a generated
archive (1,000 reports, ~200k cells) on loopback (nianbao/site/limits.py,
tests/reliability/served.py). ~1 minute."""

from __future__ import annotations

import pytest

from benchmarks import archive_generate
from tests.reliability import served
from tests.reliability.site import served as serving


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("limits") / "big.db"
    archive_generate.generate(path, 1000)
    with serving(path) as (base, proc):
        yield path, base, proc


def test_sql_cannot_exhaust_the_server(site):
    path, base, proc = site
    r = served.run_exhaustion(base, proc.pid, path.stem, str(path.parent))
    for a in r["attempts"]:
        if a.get("page"):
            assert a["status"] == 404 and not a["leaked"], a
        elif "leaked" in a:
            assert a["status"] == 200 and not a["leaked"], a  # the pragma answers no rows
        else:
            assert a["held"] and a["seconds"] < 20, a  # refused (4xx), or NULL from SQLite's own limit
    assert r["concurrent_statuses"] == [400] * 4, r
    assert r["page_after"] == 200 and proc.poll() is None
    assert r["growth_mb"] < 600, r  # before: 3 GB for one zeroblob(500000000)


def test_odd_urls_answer_4xx(site):
    path, base, _ = site
    wrong = [u for u in served.run_odd_urls(base, path.stem) if not u["held"]]
    assert wrong == []


def test_csv_exports_every_row_and_two_at_a_time(site):
    path, base, _ = site
    r = served.run_csv_exports(base, path)
    assert r["cells_csv"] == r["cells"] > 10_000, r  # every matching row, not the first 1,000
    assert r["reports_2021_csv"] == r["reports_2021"] > 0, r
    assert r["held_statuses"] == [200, 200], r
    assert r["third_export"] == 429, r
    assert r["pages_during"] == [200, 200, 200], r
    assert r["export_after"] == 200, r


def test_repeated_pages_come_from_the_response_cache_and_user_sql_never(site):
    import urllib.parse
    import urllib.request

    path, base, _ = site

    def fetch(url, **headers):
        with urllib.request.urlopen(urllib.request.Request(base + url, headers=headers), timeout=60) as r:
            return r.headers.get("x-nianbao-cache"), r.read()

    page = f"/{path.stem}/reports?year=2020"
    first, second = fetch(page), fetch(page)
    assert (first[0], second[0]) == ("miss", "hit") and first[1] == second[1]
    random_sql = f"/{path.stem}.json?sql=" + urllib.parse.quote("select random() as r")
    answers = [fetch(random_sql) for _ in range(3)]
    assert {a[0] for a in answers} == {None} and len({a[1] for a in answers}) == 3  # computed every time
    assert fetch(page, Cookie="ds_actor=x")[0] is None  # a visitor with cookies gets a page of their own
