"""Every nianbao command given bad input exits non-zero with one line, and the archive it
pointed at is unchanged (tests/reliability/bad_input.py; ~10 s)."""

from __future__ import annotations

import pytest

from nianbao.cli import _available
from tests.reliability.bad_input import run_bad_inputs


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_bad_inputs(tmp_path_factory.mktemp("bad"))


def test_each_bad_input_is_one_line_and_non_zero(result):
    failed = [(c.command, c.label, c.returncode, c.stderr[-300:]) for c in result["cases"] if not c.held]
    assert failed == []
    assert all(c.returncode == 2 for c in result["cases"])  # UserError's status, never a crash (1)


def test_nothing_archived_changes(result):
    assert result["good_archive_unchanged"]
    assert not result["missing_created"]  # a refused call creates no file


def test_every_command_is_covered(result):
    covered = {c.command for c in result["cases"]}
    # a new command needs its bad inputs in tests/reliability/bad_input.py
    assert set(_available()) - covered == set()
