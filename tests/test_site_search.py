"""The search box of the reports and sections tables (nianbao/site/search.py): whatever
the number of matches, every matching row is listed exactly once across the pages, and
the count the page prints is exact; past EXACT_LIMIT matches the page lists them newest
first from the index, without counting or faceting every row."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse

import pytest

from benchmarks import archive_generate
from nianbao.site import responses, search
from nianbao.site.app import make_datasette
from tests.site_support import get

LIMIT = 120  # EXACT_LIMIT for these tests: the 600 generated reports hold searches on both sides


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "srch.db"
    archive_generate.generate(path, 600)
    return path


@pytest.fixture
def ds(archive_path, monkeypatch):
    monkeypatch.setattr(search, "EXACT_LIMIT", LIMIT)
    site = make_datasette(archive_path)
    responses.clear_caches(site)
    return site


def like(path, table, columns, q, where="", params=()):
    """(rowid, id) of the rows LIKE finds, newest first."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    cond = " OR ".join(f"[{c}] LIKE ?" for c in columns)
    sql = f"SELECT rowid, id FROM [{table}] WHERE ({cond}){where} ORDER BY rowid DESC"
    out = conn.execute(sql, (f"%{q}%",) * len(columns) + tuple(params)).fetchall()
    conn.close()
    return out


def walk(ds, url):
    """Every page of a table search, following the pages' own next links."""
    pages, seen = [], []
    while url:
        data = get(ds, url).json()
        pages.append(data)
        seen += [r["id"] if isinstance(r, dict) else r[0] for r in data["rows"]]
        url = data["next_url"] and urllib.parse.urlsplit(data["next_url"])
        url = url and f"{url.path}?{url.query}"
        assert len(pages) < 100
    return pages, seen


Q = urllib.parse.quote
TERMS = ("公开", "人民", "区", "政府信息公开", "县人民政府", "东城", "教育局", "PDF", "zz")


@pytest.mark.parametrize("q", TERMS)
def test_every_match_once_and_the_exact_count(ds, archive_path, q):
    expected = like(archive_path, "reports", ("title", "organization"), q)
    pages, seen = walk(ds, f"/srch/reports.json?_search={Q(q)}&_size=37&_shape=objects")
    assert len(seen) == len(set(seen)) and set(seen) == {i for _, i in expected}
    first = pages[0]
    if len(expected) > LIMIT:
        # newest first, from the index, page by page; the count is printed, not per-row
        assert seen == [i for _, i in expected]
        assert first["filtered_table_rows_count"] is None and first["facet_results"] == {}
        assert f"{len(expected):,} 条匹配，最新在前；" in first["human_description_en"] and (
            f"{len(expected):,} matches, newest first" in first["human_description_en"])
        assert len(pages) == -(-len(expected) // 37)
    else:
        assert first["filtered_table_rows_count"] == len(expected)
        assert len(expected) == 0 or set(first["facet_results"]) == {
            "province", "year", "level", "format", "check_status"}


def test_more_matches_than_counted_with_other_filters(ds, archive_path):
    # another filter: the matches are filtered as usual, uncounted, in the table's order
    expected = like(archive_path, "reports", ("title", "organization"), "公开", " AND year = ?", (2021,))
    assert len(expected) > 50
    pages, seen = walk(ds, f"/srch/reports.json?_search={Q('公开')}&year=2021&_size=40&_shape=objects")
    assert seen == sorted(i for _, i in expected)
    assert pages[0]["filtered_table_rows_count"] is None
    assert "600 matches in the whole table" in pages[0]["human_description_en"]
    # the visitor's own sort is kept
    _, by_year = walk(ds, f"/srch/reports.json?_search={Q('公开')}&_sort_desc=year&_size=200&_shape=objects")
    assert len(by_year) == 600 and len(set(by_year)) == 600


def test_sections_and_the_html_page(ds, archive_path):
    expected = like(archive_path, "sections", ("text",), "年")
    assert len(expected) > LIMIT
    _, seen = walk(ds, f"/srch/sections.json?_search={Q('年')}&_size=100&_shape=objects")
    assert seen == [i for _, i in expected]
    html = get(ds, f"/srch/reports?_search={Q('公开')}").text
    assert "600 条匹配，最新在前" in html
    newest = like(archive_path, "reports", ("title", "organization"), "公开")[0][1]
    assert re.search(rf'href="/srch/reports/{newest}"', html)
    nxt = re.search(r'href="(?:http://localhost)?(/srch/reports\?[^"]*_next=[^"]+)"', html).group(1)
    nxt = nxt.replace("&amp;", "&")
    assert "_sort_desc=rowid" in nxt
    second = get(ds, nxt).text
    assert "600 条匹配" in second and newest not in second


def test_an_archive_without_the_index_counts_with_like(ds, archive_path):
    # the 1-2 character index is migration 13: without it the page is LIKE, counted as usual
    assert search.plan([("_like", "公开")], None) == ([("_like", "公开")], False)


def test_csv_export_of_a_search_streams_every_match(ds, archive_path):
    # a short search typed on the CSV URL uses the short-search index too; all matches, not a page
    for q in ("公开", "东城", "县人民政府"):
        expected = {i for _, i in like(archive_path, "reports", ("title", "organization"), q)}
        text = get(ds, f"/srch/reports.csv?_search={Q(q)}&_stream=on&_size=max").text
        ids = {line.split(",", 1)[0] for line in text.splitlines()[1:] if line}
        assert ids == expected and len(expected) > 0, q


def test_a_search_asked_again_is_answered_from_the_kept_response(ds, monkeypatch):
    # the response cache is the outermost wrapper: a repeated search is not counted again
    url = f"/srch/reports?_search={Q('公开')}"
    first = get(ds, url)

    async def not_again(*args):
        raise AssertionError("counted again")

    monkeypatch.setattr(search, "count_matches", not_again)
    again = get(ds, url)
    assert first.headers["x-nianbao-cache"] == "miss" and again.headers["x-nianbao-cache"] == "hit"
    assert again.text == first.text


def test_too_many_to_count_in_time_and_a_forged_next(ds, archive_path, monkeypatch):
    from datasette.database import QueryInterrupted

    async def too_slow(*args):
        raise QueryInterrupted(None, "count", {})

    monkeypatch.setattr(search, "count_matches", too_slow)
    expected = like(archive_path, "reports", ("title", "organization"), "人民")
    pages, seen = walk(ds, f"/srch/reports.json?_search={Q('人民')}&_size=90&_shape=objects")
    assert seen == [i for _, i in expected]  # listed from the index, newest first, every match once
    assert f"more than {LIMIT:,} matches (too many to count in time), newest first" in pages[0]["human_description_en"]
    forged = f"/srch/reports.json?_search={Q('人民')}&_size=5&_next=abc%2Cdef"

    async def go():
        return await ds.client.get(forged)

    assert asyncio.run(go()).status_code == 400
