"""Issue 12 items 7 and 8 on the real sandbox: a failed crawl says so; resume state
belongs to its archive (tests/reliability/storage.py runs the scenarios; the
reliability report shows the same)."""

from __future__ import annotations

import pytest

from tests.reliability import storage


@pytest.fixture(scope="module")
def can_fill_a_disk(tmp_path_factory):
    if not storage.mountable(tmp_path_factory.mktemp("probe") / "m"):
        pytest.skip("cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN): disk-full not simulated")


def test_disk_full_during_a_crawl_fails_it_with_one_line_and_keeps_the_resume_state(tmp_path, can_fill_a_disk):
    r = storage.run_disk_full_crawl(tmp_path)
    assert r["returncode"] == 1 and r["tracebacks"] == 0, r["stderr"]
    assert len(r["stderr"]) == 1, r["stderr"]
    line = r["stderr"][0]
    assert line.startswith("nianbao crawl: cannot write the archive: the disk of ") and "is nearly full" in line \
        and "resume state is kept" in line, line
    assert r["state_kept"] and r["integrity"] == "ok"
    assert 0 < r["reports_first"] < r["expected"]
    failed = [(site, detail) for site, status, detail in r["statuses"] if status == "error"]
    assert failed and all(d.startswith("cannot write the archive") for _, d in failed), r["statuses"]
    assert len(r["fetch_log"]) == 1 and r["fetch_log"][0][1] == "failed"
    # room again: the same command resumes and archives every report
    assert r["resumed"] and r["returncode_second"] == 0 and r["reports_second"] == r["expected"]


def test_disk_full_during_an_ingest_is_one_line_and_the_archive_still_serves(tmp_path, can_fill_a_disk):
    r = storage.run_disk_full_ingest(tmp_path)
    assert r["returncode"] == 1 and r["tracebacks"] == 0, r["stderr"]
    assert len(r["stderr"]) == 1 and r["stderr"][0].startswith("nianbao ingest: cannot write the archive: the disk of")\
        and "is nearly full" in r["stderr"][0], r["stderr"]
    assert r["integrity"] == "ok" and r["reports"] >= 1
    assert (r["home"], r["reports_page"]) == (200, 200)


def test_resume_state_belongs_to_its_archive_and_a_twin_crawl_refuses(tmp_path):
    r = storage.run_resume_identity(tmp_path)
    assert r["twin_returncode"] == 2 and len(r["twin_stderr"]) == 1, r["twin_stderr"]
    assert r["twin_stderr"][0].startswith("nianbao crawl: another crawl of henan into ") \
        and "is running" in r["twin_stderr"][0]
    assert r["first_returncode"] == 1 and r["first_stopped"] and r["a_state_kept"]
    assert 0 < r["a_reports"] < r["expected"]
    # b.db in the same folder starts its own crawl: nothing of a.db's resumed into it
    assert r["b_returncode"] == 0 and not r["b_resumed"] and r["b_reports"] == r["expected"]
    assert r["a_reports_after_b"] == r["a_reports"]
