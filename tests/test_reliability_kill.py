"""kill -9 of a crawl at seeded random points, then the same command: the archive equals an
uninterrupted crawl's; kill -9 in the middle of big archive writes leaves no half report (~100 s)."""

from __future__ import annotations

from tests.reliability.kill import run_kill_crawl, run_kill_write


def test_kill_9_crawl_then_rerun_equals_uninterrupted(tmp_path):
    r = run_kill_crawl(tmp_path, kills=3, seed=11)
    assert r["baseline_returncode"] == 0 and r["returncode"] == 0, r["stderr"]
    assert len(r["kills"]) == 3 and not any(k["finished_first"] for k in r["kills"])
    assert all(0 < k["snapshots"] < r["expected_reports"] for k in r["kills"])  # each kill landed mid-crawl
    assert r["restarted_after_kill"]  # the killed JOBDIR was not trusted
    assert (r["lost"], r["extra"], r["duplicates"]) == (0, 0, 0)
    assert r["reports"] == r["expected_reports"] == 142
    assert r["reports_equal"] and r["cells_equal"] and r["snapshots_equal"]
    assert r["integrity"] == "ok" and r["verify"].ok, r["verify"].problems
    assert r["unfinished_runs"] == 3  # each killed run stays recorded as unfinished


def test_kill_9_during_archive_writes_leaves_whole_reports(tmp_path):
    r = run_kill_write(tmp_path, kills=5, seed=5)
    for kill in r["kills"]:
        assert kill["integrity"] == "ok"
        assert kill["reports"] == r["bodies"]
        assert len(kill["versions"]) == 1  # a batch is one transaction: all or nothing
        assert kill["half_written"] == 0
    assert r["verify"].ok, r["verify"].problems
