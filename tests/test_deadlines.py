"""Deadlines as the regulations set them (archive/rows.py `deadline`), per level and era,
on saved reports (a real archive file) and on an archive migrated from before the rule."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

import archive
from archive import rows
from archive.regions import place
from tests.archive_fixtures import make_record


@pytest.mark.parametrize(
    "year, level, expected",
    [
        # 2008 条例 (report years up to 2018): 31 March for everyone
        (2017, "department", date(2018, 3, 31)),
        (2018, "department", date(2019, 3, 31)),
        (2018, "province", date(2019, 3, 31)),
        (2018, "county", date(2019, 3, 31)),
        (2018, "township", date(2019, 3, 31)),
        (2018, "zone", date(2019, 3, 31)),
        # 2019 条例 第四十九条 (reports on 2019 on, published 2020+): departments 31 January
        (2019, "department", date(2020, 1, 31)),
        (2023, "department", date(2024, 1, 31)),
        # local people's governments, their own report: 31 March
        (2019, "province", date(2020, 3, 31)),
        (2021, "city", date(2022, 3, 31)),
        (2022, "county", date(2023, 3, 31)),
        # not named by the 2019 text: nianbao's rule is the later date
        (2020, "township", date(2021, 3, 31)),
        (2020, "zone", date(2021, 3, 31)),
        (2020, None, date(2021, 3, 31)),
    ],
)
def test_deadline_per_level_and_era(year, level, expected):
    assert rows.deadline(year, level) == expected


@pytest.mark.parametrize(
    "published, year, level, late",
    [
        ("2022-01-31", 2021, "department", 0),
        ("2022-02-01", 2021, "department", 1),
        ("2022-02-01", 2021, "county", 0),  # a government has until 31 March
        ("2022-04-01", 2021, "county", 1),
        ("2019-03-31", 2018, "department", 0),  # 2008 rules: 31 March for a department too
        ("2019-04-10", 2018, "department", 10),
        ("2020-02-10", 2019, "department", 10),  # first year under the 2019 text
        ("2021-02-22", 2020, "zone", 0),
        ("2021-04-22", 2020, "township", 22),
        (None, 2021, "department", None),  # unknown, never "on time"
        ("", 2021, "county", None),
        ("二〇二二年", 2021, "county", None),
    ],
)
def test_days_late(published, year, level, late):
    assert rows.days_late(published, year, level) == late


@pytest.mark.parametrize(
    "name, level",
    [
        ("河南省人民政府", "province"),
        ("驻马店市人民政府", "city"),
        ("河南省驻马店市人民政府", "city"),  # the province printed before the city
        ("沾益区人民政府", "county"),
        ("云南省曲靖市沾益区人民政府", "county"),
        ("曲靖沾益区人民政府", "county"),
        ("驻马店市财政局", "department"),
        ("河南省发展和改革委员会", "department"),
        ("驻马店经济开发区管委会", "zone"),
        ("城关镇人民政府", "township"),
        ("朝阳街道办事处", "township"),
    ],
)
def test_level_of_a_government_with_its_province_printed(name, level):
    assert rows.body_level(name, place(name)) == level


def saved(db, **kw):
    rid = archive.save_report(db, make_record("2021", **kw), snapshot_id=None, url=None)
    return db.execute("SELECT level, deadline, days_late FROM reports WHERE id = ?", [rid]).fetchone()


def test_saved_reports_carry_deadline_and_days_late(tmp_path):
    db = archive.open_archive(tmp_path / "a.db")
    assert saved(db, organization="驻马店市财政局", year=2021, published="2022-02-15") == (
        "department", "2022-01-31", 15)
    assert saved(db, organization="驻马店市人民政府", year=2021, published="2022-02-15") == (
        "city", "2022-03-31", 0)
    assert saved(db, organization="河南省驻马店市人民政府", year=2020, published="2021-04-02") == (
        "city", "2021-03-31", 2)
    assert saved(db, organization="驻马店市财政局", year=2018, published="2019-03-01") == (
        "department", "2019-03-31", 0)
    record = make_record("2021", organization="城关镇人民政府", year=2021)
    record["published"] = None
    rid = archive.save_report(db, record, snapshot_id=None, url=None)
    assert db.execute("SELECT level, deadline, days_late FROM reports WHERE id = ?", [rid]).fetchone() == (
        "township", "2022-03-31", None)


def test_migration_recomputes_old_days_late(tmp_path):
    """An archive written with the old rule (31 January for all): migration 10 fixes levels,
    deadlines and days late in place, keeping every id."""
    path = tmp_path / "old.db"
    db = archive.open_archive(path)
    rid = archive.save_report(db, make_record("2021", organization="河南省驻马店市人民政府", year=2021,
                                              published="2022-03-01"), snapshot_id=None, url=None)
    conn = db.conn
    conn.execute("UPDATE bodies SET level = 'department'")
    conn.execute("UPDATE reports SET level = 'department', days_late = 29, deadline = NULL")
    conn.execute("DELETE FROM schema_migrations WHERE version = 10")
    conn.execute("ALTER TABLE reports DROP COLUMN deadline")
    conn.close()
    db = archive.open_archive(path)
    assert db.execute("SELECT id, level, deadline, days_late FROM reports").fetchall() == [
        (rid, "city", "2022-03-31", 0)]
    assert db.execute("SELECT level FROM bodies").fetchall() == [("city",)]
    counts = dict(db.execute("SELECT value, n FROM row_counts WHERE table_name = 'reports'"
                             " AND column_name = 'level' AND n > 0").fetchall())
    assert counts == {"city": 1}
    assert sqlite3.sqlite_version_info >= (3, 35)  # DROP COLUMN above
