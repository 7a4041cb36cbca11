"""Every seed and real report against its golden record (all keys, all cells,
all checks, all problems). Goldens were made by tests/make_goldens.py and
checked cell by cell against the printed reports."""

from __future__ import annotations

import json

import pytest

from tests.make_goldens import INPUTS, golden_path, record_for_golden


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name)
def test_matches_golden(source):
    want = json.loads(golden_path(source).read_text(encoding="utf-8"))
    got = json.loads(json.dumps(record_for_golden(source), ensure_ascii=False))
    # metadata_from: only a file dated by its properties (docs/record.md)
    assert [k for k in got if k != "metadata_from"] == ["source", "title", "organization", "year", "published",
                                                        "format", "sections", "tables", "checks", "problems"]
    assert got.get("metadata_from") == want.get("metadata_from")
    for key in ("title", "organization", "year", "published", "format", "problems"):
        assert got[key] == want[key], key
    for table in want["tables"]:
        assert got["tables"][table] == want["tables"][table], table
    assert got["tables"].keys() == want["tables"].keys()
    assert got["checks"] == want["checks"]
    assert got["sections"] == want["sections"]
