"""`nianbao ingest` on the real seeds and reports (copies of ../shared in tests/fixtures): every seed cell is
reachable by its permalink, and re-ingest or a rebuild changes no permalink."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlite_utils

import parsers
from archive.ingest import file_url
from nianbao.cli import main
from nianbao.site.app import make_datasette

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS, REAL = FIXTURES / "seeds", FIXTURES / "real-reports"


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table except the migration log (its applied_at is a clock time)."""
    db = sqlite_utils.Database(path)
    out = {}
    for table in db.table_names():
        if table == "schema_migrations" or table.endswith(("_data", "_idx", "_docsize", "_config")):
            continue
        cols = [c.name for c in db[table].columns]
        out[table] = sorted(
            db.execute(f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM [{table}]").fetchall(), key=repr
        )
    db.conn.close()
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("ingest") / "demo.db"
    assert main(["ingest", str(SEEDS), str(REAL), "--db", str(path)]) == 0
    return path


def test_every_seed_cell_is_reachable_by_permalink(demo):
    db = sqlite_utils.Database(demo)
    ds = make_datasette(demo)
    checked = 0
    for seed in sorted(SEEDS.iterdir()):
        record = parsers.parse_path(seed)
        report = db.execute("SELECT id FROM reports WHERE source_url = ?", (file_url(seed),)).fetchone()
        assert report is not None, f"{seed.name} is not a report in the archive"
        expected = {}
        for table in ("active_disclosure", "applications"):
            for row, cols in (record["tables"].get(table) or {}).items():
                for col, cell in cols.items():
                    expected[(table, row, col)] = cell
        for col, cell in (record["tables"].get("review_litigation") or {}).items():
            expected[("review_litigation", "counts", col)] = cell
        assert expected, f"{seed.name} has no cells"

        async def fetch_all(report_id=report[0], expected=expected, name=seed.name):
            out = {}
            for key in expected:
                r = await ds.client.get(f"/demo/cells/{report_id},{','.join(key)}.json?_shape=objects")
                assert r.status_code == 200, (name, key)
                out[key] = r.json()["rows"][0]
            return out

        got = asyncio.run(fetch_all())
        for key, cell in expected.items():
            assert (got[key]["value"], got[key]["raw"]) == (cell["value"], cell["raw"]), (seed.name, key)
        checked += len(expected)
    assert (
        checked
        == db.execute(
            "SELECT count(*) FROM cells WHERE report_id IN (SELECT id FROM reports WHERE source_url LIKE 'file:seeds/%')"
        ).fetchone()[0]
    )


def test_reingest_and_rebuild_keep_every_permalink(demo, tmp_path):
    before = dump(demo)
    assert before["reports"] and before["cells"]
    assert main(["ingest", str(SEEDS), str(REAL), "--db", str(demo)]) == 0
    assert dump(demo) == before  # no row added, removed or changed
    rebuilt = tmp_path / "rebuilt.db"
    assert main(["ingest", str(REAL), str(SEEDS), "--db", str(rebuilt)]) == 0  # other order, fresh file
    after = dump(rebuilt)
    for table in ("reports", "cells", "sections", "checks", "bodies", "problems"):
        assert after[table] == before[table], table
    # a snapshot's fetch time is the ingest's clock (archive/ingest.py): the rest is equal
    assert [s[:4] + s[5:] for s in after["snapshots"]] == [s[:4] + s[5:] for s in before["snapshots"]]


def test_pingtan_years_chain_and_placement(demo):
    db = sqlite_utils.Database(demo)
    pingtan = db.execute(
        "SELECT id, year, province, city, county, format FROM reports"
        " WHERE organization = '平潭综合实验区' ORDER BY year"
    ).fetchall()
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in pingtan] == [
        (2019, "福建省", "福州市", "平潭县", "2019"),
        (2020, "福建省", "福州市", "平潭县", "2019"),
        (2021, "福建省", "福州市", "平潭县", "2021"),
        (2022, "福建省", "福州市", "平潭县", "2021"),
        (2023, "福建省", "福州市", "平潭县", "2021"),
    ]
    assert len({r[0].rsplit("-", 1)[0] for r in pingtan}) == 1  # one body, five years
    # cross-year checks exist for every year that has a predecessor
    cross = db.execute(
        "SELECT DISTINCT report_id FROM checks WHERE rule = 'carried_over_last_year'"
        " AND report_id LIKE '350128-%' ORDER BY report_id"
    ).fetchall()
    assert [r[0][-4:] for r in cross] == ["2020", "2021", "2022", "2023"]


def test_ingest_rejects_bad_input(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "nothing"), "--db", str(tmp_path / "a.db")]) == 2
    other = tmp_path / "other.db"
    sqlite_utils.Database(other)["t"].insert({"a": 1})
    assert main(["ingest", str(SEEDS), "--db", str(other)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"nianbao ingest: no such file or folder: {tmp_path / 'nothing'}",
        f"nianbao ingest: {other} is an SQLite database but not a nianbao archive",
    ]
