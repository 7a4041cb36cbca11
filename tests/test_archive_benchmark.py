"""The benchmark generator and latency script on a tiny archive (the million-report
run is manual: see docs/archive.md)."""

from __future__ import annotations

import math

import sqlite_utils

from benchmarks import archive_generate, archive_latency


def test_generator_builds_a_valid_archive(tmp_path):
    path = tmp_path / "bench.db"
    counts = archive_generate.generate(path, 200)
    assert (counts["reports"], counts["cells"]) == (200, 40 * (2 * 198 + 3 * 200))
    db = sqlite_utils.Database(path)
    assert db["reports"].count == 200 and db["cells"].count == counts["cells"]
    assert db.execute("SELECT count(DISTINCT body_id), min(year), max(year) FROM reports").fetchone() == (
        40,
        2019,
        2023,
    )
    # every report's applications totals were folded into the province-year table
    assert db.execute("SELECT sum(reports) FROM province_year_outcomes").fetchone()[0] == 200
    assert (
        db.execute("SELECT sum(granted) FROM province_year_outcomes").fetchone()[0]
        == db.execute(
            "SELECT sum(value) FROM cells WHERE table_name = 'applications' AND row_key = 'granted'"
            " AND column_key = 'total'"
        ).fetchone()[0]
    )
    # the FTS index was filled by the triggers
    assert (
        db.execute(
            "SELECT count(*) FROM sections_fts WHERE sections_fts MATCH '\"政府信息公开条例\"'"
        ).fetchone()[0]
        == 200
    )
    db.conn.close()
    timings = archive_latency.run(path, requests=3)
    start = timings.pop("start")
    assert set(start) == {"publish", "table_counts", "default_pages", "serve total"}
    assert set(timings) == {
        "faceted table (province filter, 5 facets)",
        "faceted table (unfiltered, 5 facets)",
        "cells table (unfiltered, 1 facet)",
        "database page (table counts)",
        "FTS canned search (3+ chars)",
        "FTS table search box (3+ chars)",
        "table search box, 1-2 chars",
        "table search box, common words (3+ chars)",
        "sections search box, 1-2 chars",
        "short search fallback (1-2 chars)",
        "report page",
        "cell permalink",
        "yearly totals query",
        "yearly totals, all provinces",
        "body page (years side by side)",
        "province page (coverage, charts, bodies)",
        "coverage view, one province",
    }
    for t in timings.values():
        assert t["first"] > 0 and 0 < t["p50"] <= t["p95"] <= t["max"] and t["p95_repeat"] > 0
    # plain Datasette (no inspect data, plain facets): no start-up work, no repeat column
    plain = archive_latency.run(path, requests=3, cache=False)
    assert set(plain.pop("start")) == {"serve total"}
    assert set(plain) == set(timings)
    assert all(math.isnan(t["p95_repeat"]) and t["p50"] <= t["p95"] for t in plain.values())
