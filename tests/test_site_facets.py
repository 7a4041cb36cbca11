"""Facet counts and row counts of table pages (the `counted` facet class, nianbao/site/facets.py,
and the inspect data of nianbao/site/counts.py): exactly what a GROUP BY over the file
says, the same JSON as plain Datasette, answered from the stored counts or the bounded
cache, never frozen for SQL typed by users."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse

import pytest

from benchmarks import archive_generate
from nianbao.site import facets
from nianbao.site.app import make_datasette, warm_site
from tests.site_support import get

FACETS = ("province", "year", "level", "format", "check_status")
Q = urllib.parse.quote


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("facets") / "fac.db"
    archive_generate.generate(path, 600)
    return path


@pytest.fixture(scope="module")
def sites(archive_path):
    cached = make_datasette(archive_path)
    asyncio.run(warm_site(cached))
    return cached, make_datasette(archive_path, plain=True)


def sql_facets(path, where="", params=(), limit=30):
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    clause = f"WHERE {where}" if where else ""
    out = {
        col: [
            tuple(r)
            for r in conn.execute(
                f"SELECT {col}, count(*) AS n FROM reports {clause} {'AND' if where else 'WHERE'}"
                f" {col} IS NOT NULL GROUP BY {col} ORDER BY n DESC, {col} LIMIT {limit}",
                params,
            )
        ]
        for col in FACETS
    }
    total = conn.execute(f"SELECT count(*) FROM reports {clause}", params).fetchone()[0]
    conn.close()
    return total, out


def page_facets(data):
    return {
        name: [(r["value"], r["count"]) for r in f["results"]] for name, f in data["facet_results"].items()
    }


CASES = [  # the first 600 generated reports: county governments of 北京, 天津, 河北
    ("", "", ()),
    ("province=" + Q("河北省"), "province = ?", ("河北省",)),
    ("year=2021&check_status=failed", "year = ? AND check_status = ?", (2021, "failed")),
    ("_search=" + Q("县人民政府"), "organization LIKE ? OR title LIKE ?", ("%县人民政府%",) * 2),  # FTS
    ("_search=" + Q("新区"), "organization LIKE ? OR title LIKE ?", ("%新区%",) * 2),  # LIKE fallback
    ("format=2019&_search=" + Q("区人民"), "format = '2019' AND title LIKE ?", ("%区人民%",)),
]


@pytest.mark.parametrize(("query", "where", "params"), CASES)
def test_facet_counts_equal_a_group_by(sites, archive_path, query, where, params):
    cached, plain = sites
    total, expected = sql_facets(archive_path, where, params)
    assert total > 0
    url = f"/fac/reports.json?{query}"
    first = get(cached, url).json()
    again = get(cached, url).json()
    before = get(plain, url).json()
    assert page_facets(first) == expected
    assert first["filtered_table_rows_count"] == total
    # the whole JSON (rows, counts, facet toggle URLs, truncation) is plain Datasette's
    for data in (first, again):
        assert data["rows"] == before["rows"]
        assert data["filtered_table_rows_count"] == before["filtered_table_rows_count"]
        assert data["facet_results"] == before["facet_results"]


def test_facet_size_extra_facets_and_html(sites):
    cached, plain = sites
    for url in (
        "/fac/reports.json?_facet_size=2&year=2020",
        "/fac/reports.json?_facet=city&_facet=county&format=2021",
        "/fac/checks.json",
        "/fac/bodies.json?province=" + Q("天津市"),
    ):
        assert get(cached, url).json()["facet_results"] == get(plain, url).json()["facet_results"], url

    def html(ds):  # without the "Queries took … ms" line
        text = get(ds, "/fac/reports?province=" + Q("北京市")).text
        return re.sub(r"took [0-9.]+ms", "", text)

    assert html(cached) == html(plain)


def test_unfiltered_pages_and_table_counts_come_from_the_stored_counts(sites, archive_path, monkeypatch):
    """Every faceted table's unfiltered page and the database page's table counts are
    answered from row_counts and inspect data (no GROUP BY run), and equal what plain
    Datasette computes."""
    cached, plain = sites

    async def no_pass(self, columns):
        raise AssertionError(f"GROUP BY pass for {self.table}")

    monkeypatch.setattr(facets.CountedFacet, "_group", no_pass)
    tables = cached.metadata("tables", database="fac")
    faceted = [t for t, conf in tables.items() if conf and conf.get("facets")]
    assert {"reports", "cells", "checks", "bodies"} <= set(faceted)
    for table in faceted:
        url = f"/fac/{table}.json?_facet_size=100"
        got, want = get(cached, url).json(), get(plain, url).json()
        assert got["facet_results"] == want["facet_results"], table
        assert got["filtered_table_rows_count"] == want["filtered_table_rows_count"], table
    conn = sqlite3.connect(f"file:{archive_path}?immutable=1", uri=True)
    actual = {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]
              for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    conn.close()
    assert {t: v["count"] for t, v in cached.inspect_data["fac"]["tables"].items()} == actual
    tables = {t["name"]: t["count"] for t in get(cached, "/fac.json").json()["tables"]}
    assert tables == {t["name"]: t["count"] for t in get(plain, "/fac.json").json()["tables"]}
    assert tables["cells"] == actual["cells"] > 100_000


def test_second_request_comes_from_the_bounded_cache(sites, monkeypatch):
    cached, _ = sites
    url = "/fac/reports.json?year=2022&_search=" + Q("县人民")
    first = get(cached, url).json()["facet_results"]
    entries = facets.cache_stats()["entries"]

    async def no_pass(self, columns):
        raise AssertionError("not from the cache")

    monkeypatch.setattr(facets.CountedFacet, "_group", no_pass)
    facets.cache_get(next(iter(facets._cache)))  # (the cache is keyed by file, SQL and parameters)
    monkeypatch.undo()
    assert get(cached, url).json()["facet_results"] == first
    assert facets.cache_stats()["entries"] == entries


def test_the_cache_stays_within_its_bytes(sites, monkeypatch):
    cached, _ = sites
    monkeypatch.setattr(facets, "CACHE_BYTES", 5_000)
    facets._cache.clear()
    facets._cache_size[0] = 0
    for year in (2019, 2020, 2021, 2022, 2023):
        for province in ("北京市", "天津市", "河北省"):
            get(cached, f"/fac/reports.json?year={year}&province=" + Q(province))
    stats = facets.cache_stats()
    assert 0 < stats["bytes"] <= 5_000 and 0 < stats["entries"] < 15  # the oldest were let go


def test_user_sql_filters_are_never_frozen(sites):
    cached, _ = sites
    totals, facet_sums = set(), set()
    for _ in range(6):
        data = get(cached, "/fac/reports.json?_where=" + Q("random() % 2 = 0")).json()
        totals.add(data["filtered_table_rows_count"])
        facet_sums.add(sum(r["count"] for r in data["facet_results"]["year"]["results"]))
    assert len(totals) > 1 and len(facet_sums) > 1  # counted each time, never frozen by the cache


def test_a_bad_search_fails_as_before(sites):
    cached, plain = sites
    url = "/fac/reports.json?_searchmode=raw&_search=" + Q('"unbalanced')

    async def go(ds):
        return await ds.client.get(url)

    before, after = asyncio.run(go(plain)), asyncio.run(go(cached))
    assert after.status_code == before.status_code and after.json()["error"] == before.json()["error"]


def test_facets_of_a_filter_too_slow_for_one_pass_time_out_at_once(archive_path, monkeypatch):
    """When the one GROUP BY pass over a filter's rows ran out of the page's time limit,
    the page's facets say "timed out" at once instead of each running into its own
    limit; the rows and the count are still computed."""
    ds = make_datasette(archive_path)

    async def too_slow(self, columns):
        return None

    monkeypatch.setattr(facets.CountedFacet, "_group", too_slow)
    data = get(ds, "/fac/reports.json?province=" + Q("河北省")).json()
    assert data["facet_results"] == {}
    html = get(ds, "/fac/reports?province=" + Q("河北省")).text
    timed_out = re.search(r"These facets timed out: ([^<]*)<", html)[1]
    assert sorted(f.strip() for f in timed_out.split(",")) == sorted(FACETS)
    assert data["filtered_table_rows_count"] == sql_facets(archive_path, "province = ?", ("河北省",))[0]
