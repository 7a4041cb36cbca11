"""Writing to an archive that is being served never breaks the site (issue 12 item 1):
`nianbao serve` answers from a published copy; `nianbao ingest` into the served archive,
or another archive `mv`-ed over it, under concurrent requests → every answer 200 and
consistent with the old state or the new one, and the new one once published
(nianbao/site/publish.py, tests/reliability/served.py). ~1 minute."""

from __future__ import annotations

import json

import pytest

from benchmarks import archive_generate
from nianbao.cli import main
from nianbao.site import publish
from tests.reliability import served
from tests.reliability.site import served as serving


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "live.db"
    archive_generate.generate(path, 300)
    return path


def assert_held(r):
    assert r["server_errors"] == 0, r
    assert set(r["statuses"]) == {200}, r
    assert r["inconsistent"] == 0, r
    assert r["reached_new"], r
    assert r["old"] != r["new"] and r["states_checked"] > 20, r


def test_ingest_into_the_served_archive_never_breaks_the_site(archive):
    with serving(archive) as (base, proc):
        r = served.run_ingest_while_served(base, archive)
        assert proc.poll() is None
    assert r["ingest_returncode"] == 0, r
    assert_held(r)


def test_an_archive_moved_over_the_served_one_shows_after_publish_only(archive, tmp_path):
    other = tmp_path / "other.db"
    archive_generate.generate(other, 120, seed=2)
    with serving(archive) as (base, proc):
        r = served.run_mv_while_served(base, archive, other)
        assert proc.poll() is None
    assert r["publish_returncode"] == 0 and r["new_state_before_publish"] == 0, r
    assert_held(r)


def test_publish_copies_one_consistent_state_and_keeps_two(archive):
    import archive as arch
    from tests.archive_fixtures import make_record

    db = arch.open_archive(archive)  # a writer with its WAL not checkpointed
    db.conn.execute("PRAGMA wal_autocheckpoint=0")
    rid = arch.save_report(db, make_record("2021"), snapshot_id=None, url=None)
    first = publish.publish(archive)
    assert served.state(first)["reports"] == 301
    assert served.q(first, "SELECT count(*) FROM reports WHERE id = ?", rid) == [(1,)]
    assert not publish.is_stale(archive)
    assert oct(first.stat().st_mode & 0o777) == "0o444"
    inspect = json.loads(first.with_name("inspect-data.json").read_text())
    assert inspect["live"]["tables"]["reports"]["count"] == 301
    assert inspect["live"]["tables"]["cells"]["count"] == served.state(first)["cells"]
    db.conn.close()
    second = publish.publish(archive)
    third = publish.publish(archive)
    pubdir = publish.published_dir(archive)
    assert sorted(p.name for p in pubdir.iterdir() if p.is_dir()) == sorted(
        [second.parent.name, third.parent.name])
    assert publish.current_copy(archive) == third


def test_writers_publish_a_published_archive_and_leave_others_alone(archive, tmp_path):
    ingest = [str(served.TO_INGEST[0]), "--db"]
    assert main(["ingest", *ingest, str(archive)]) == 0
    assert not publish.published_dir(archive).exists()  # never published: no copy made
    publish.publish(archive)
    assert main(["ingest", str(served.TO_INGEST[1]), "--db", str(archive)]) == 0
    assert not publish.is_stale(archive)
    assert served.state(publish.current_copy(archive)) == served.state(archive)


def test_publish_brings_an_older_archive_to_the_newest_schema(tmp_path, capsys):
    """`nianbao publish` of an archive written before the newest migrations publishes a copy
    at the newest schema (the body and province pages read bodies.canonical_id, schema 17)."""
    import sqlite3

    from archive import schema

    path = tmp_path / "old.db"
    archive_generate.generate(path, 20)
    conn = sqlite3.connect(path)  # as schema 16 left it: without migrations 17 and 18
    conn.executescript("DROP INDEX bodies_canonical; ALTER TABLE bodies DROP COLUMN canonical_id;"
                       " ALTER TABLE cells DROP COLUMN confidence; DELETE FROM schema_migrations WHERE version > 16;")
    conn.close()
    assert main(["publish", "--db", str(path)]) == 0
    assert f"up to schema {schema.SCHEMA_VERSION}" in capsys.readouterr().out
    copy = publish.current_copy(path)
    conn = sqlite3.connect(f"file:{copy}?immutable=1", uri=True)
    assert max(v for (v,) in conn.execute("SELECT version FROM schema_migrations")) == schema.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM bodies WHERE canonical_id IS NULL").fetchone()[0] == 0
    conn.close()
