"""Readings of numbers glued together in text dumps ("713000074" → 71,3,0,0,0,0,74).

A dump loses the boundaries between adjacent cells. Every way of cutting the
digits into the expected number of cells is a reading; the consistency checks
of the template (total = sum of parts) keep the readings that can be true.
A row is certain only when exactly one reading survives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# A printed number: no leading zero except "0" itself, optional sign and decimals.
_PART = re.compile(r"^[+-]?(?:0|[1-9]\d*)(?:\.\d+)?$")
MAX_READINGS = 200_000


def _cuts(chunk: str, parts: int) -> Iterator[list[str]]:
    """Every way to cut `chunk` into `parts` valid numbers."""
    if parts == 1:
        if _PART.match(chunk):
            yield [chunk]
        return
    for i in range(1, len(chunk) - parts + 2):
        head = chunk[:i]
        if not _PART.match(head):
            # a longer head can still be valid after a sign or before a decimal
            if head not in ("+", "-") and not head.endswith("."):
                if head[0] == "0" or (head[0] in "+-" and head[1:2] == "0"):
                    break
            continue
        for rest in _cuts(chunk[i:], parts - 1):
            yield [head, *rest]


def _distributions(lengths: list[int], total: int) -> Iterator[list[int]]:
    """How many cells each chunk holds (each ≥ 1 and ≤ its length), summing to total."""
    if not lengths:
        if total == 0:
            yield []
        return
    first, rest = lengths[0], lengths[1:]
    for k in range(1, min(first, total - len(rest)) + 1):
        for tail in _distributions(rest, total - k):
            yield [k, *tail]


def readings(chunks: list[str], cells: int) -> Iterator[list[str]]:
    """Every reading of the chunks (already-separated digit runs) as `cells` numbers."""
    chunks = [c for c in chunks if c]
    lengths = [len(c.lstrip("+-")) for c in chunks]
    produced = 0
    for dist in _distributions(lengths, cells):
        yield from _combine(chunks, dist)
        produced += 1
        if produced > MAX_READINGS:
            return


def _combine(chunks: list[str], dist: list[int]) -> Iterator[list[str]]:
    if not chunks:
        yield []
        return
    for head in _cuts(chunks[0], dist[0]):
        for tail in _combine(chunks[1:], dist[1:]):
            yield head + tail


def consistent_readings(
    chunks: list[str], cells: int, check: Callable[[list[float]], bool] | None
) -> list[list[str]]:
    out = []
    for reading in readings(chunks, cells):
        if check is None or check([float(x) for x in reading]):
            out.append(reading)
            if len(out) > 1000:
                break
    return out


def split_chunks(glued: str) -> list[str]:
    """Spaces inside a glued run are real cell boundaries."""
    return [c for c in re.split(r"\s+", glued.strip()) if c]
