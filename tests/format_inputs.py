"""Inputs in the other publishing formats, made at test time from the sandbox's
ground-truth reports (sandbox/render_formats.py) and cached in
tests/artifacts/formats/ (same seed, same bytes: delete the folder to remake)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

CACHE = Path(__file__).parent / "artifacts" / "formats"
SEED = 0


@cache
def reports() -> dict[str, object]:
    """One ground-truth report per template, with blank cells and a failing check among them:
    2021 (blank cells), 2019 (a slip: checks fail), pre-2019 (prose only)."""
    from sandbox import world

    rs = [r for r in world.build_world(seed=SEED).reports if r.expected]
    return {
        "2021": next(r for r in rs if r.format == "2021" and "blank_cells" in r.quirks),
        "2019": next(r for r in rs if r.format == "2019" and "slip" in r.quirks),
        "pre-2019": next(r for r in rs if r.format == "pre-2019"),
    }


def cached(name: str, make: Callable[[], bytes]) -> bytes:
    path = CACHE / name
    if not path.is_file():
        from sandbox.render_formats import ToolMissing

        try:
            data = make()
        except ToolMissing as exc:
            pytest.skip(str(exc))
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path.read_bytes()


def cell_values(record: dict) -> dict[tuple, object]:
    """Every cell of a record: (table, row, column) → value."""
    out = {}
    for table, rows in record["tables"].items():
        for row, cells in rows.items():
            if "raw" in cells:  # review_litigation: one row of cells
                out[(table, "", row)] = cells["value"]
            else:
                for col, cell in cells.items():
                    out[(table, row, col)] = cell["value"]
    return out


def assert_same_cells(got: dict, want: dict) -> None:
    """Every cell of the ground truth, exactly, and no cell more."""
    g, w = cell_values(got), cell_values(want)
    wrong = {k: (g.get(k, "absent"), v) for k, v in w.items() if g.get(k, "absent") != v}
    extra = set(g) - set(w)
    assert not wrong and not extra, (wrong, extra)
