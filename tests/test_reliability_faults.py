"""Every sandbox fault met by a real crawl: recorded as retried/failed/skipped, the crawl goes on,
the next crawl recovers everything (tests/reliability/faults.py; ~90 s)."""

from __future__ import annotations

import pytest

from tests.reliability.faults import run_fault_matrix, run_random_faults


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    return run_fault_matrix(tmp_path_factory.mktemp("faults"))


def test_every_planted_fault_fired_and_ended_as_expected(matrix):
    outcomes = {p.name: (p.fired > 0 or p.expect == "bounded", p.held, p.note) for p in matrix["plants"]}
    assert [name for name, (fired, held, _) in outcomes.items() if not (fired and held)] == [], outcomes
    by_kind = {p.kind: p for p in matrix["plants"]}
    assert by_kind["redirect_loop"].logged["outcome"] == "failed"
    assert by_kind["redirect_loop"].logged["reason"].startswith("redirect loop")
    assert by_kind["oversize"].logged == {"outcome": "skipped", "attempts": 1, "status": None,
                                          "reason": "over the download size limit (DOWNLOAD_MAXSIZE)"}
    burst = next(p for p in matrix["plants"] if p.name == "503 burst on a report column")
    assert burst.logged == {"outcome": "retried", "attempts": 3, "status": 200,
                            "reason": "HTTP 200 after 2 retries (503 Service Unavailable)"}


def test_no_fault_stops_the_crawl(matrix):
    first = matrix["first"]
    assert first["returncode"] == 0, first["stderr"]
    assert set(first["statuses"].values()) == {"ok"} and len(first["statuses"]) == 4
    # only the reports behind a fault that never ended are missing, and each is in fetch_log
    assert first["missing"] == matrix["permanent"] and len(matrix["permanent"]) == 4
    assert first["unexpected"] == []
    assert first["archived"] == matrix["expected_reports"] - 4


def test_the_next_crawl_recovers_everything(matrix):
    second = matrix["second"]
    assert second["returncode"] == 0, second["stderr"]
    assert second["missing"] == [] and second["unexpected"] == []
    assert second["archived"] == matrix["expected_reports"] == 142


def test_a_charset_change_between_crawls_is_a_new_snapshot_of_the_same_report(matrix):
    flip = matrix["charset_flip"]
    assert flip["snapshots"] == 2 and flip["report_points_at_new"]
    assert len(flip["changed_reports"]) == 1  # only the re-encoded report moved to its new snapshot
    assert flip["lost_snapshots"] == []


def test_cells_snapshots_and_integrity_hold(matrix):
    assert matrix["wrong_cells"] == []  # hostile markup and malformed tables included
    assert matrix["duplicates"] == 0
    assert matrix["verify"].ok, matrix["verify"].problems
    assert matrix["calendar_requests"] <= 10


def test_seeded_random_faults(tmp_path):
    result = run_random_faults(tmp_path)
    assert result["returncode"] == 0, result["stderr"]
    assert sum(result["faults"].values()) >= 10  # the noise was real
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["statuses_as_planted"] and result["wrong_cells"] == [] and result["duplicates"] == 0
