"""Geometry of a scanned page: deskew, ink, ruling lines and the table cells they draw.

Everything works on a grayscale page image as a numpy array (0 black … 255
white). A table is found by its ruling lines, never by its text: long dark
horizontal and vertical runs are the lines; the boundaries they draw cut the
table into grid positions, and positions not separated by a drawn line are one
cell (a rowspan or colspan, as Word and WPS draw merged cells). Lines are then
erased so the OCR engine reads only the text between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SKEW_DEGREES = 5.0
# a ruling line is a dark run at least this long (fraction of the page width/height)
MIN_LINE_FRACTION = 0.04
# a line belongs to a table where it covers at least this share of a row's height;
# two grid positions are one (merged) cell only where the line between them is
# drawn along less than MERGED_SHARE of their side (a faint or broken line is a line)
DRAWN_SHARE = 0.6
MERGED_SHARE = 0.3
# lines closer than this (pixels at 200 dpi) are one line drawn thick or doubled
MERGE_PX = 6


@dataclass(frozen=True)
class Line:
    pos: float  # y of a horizontal line, x of a vertical one
    cover: np.ndarray  # bool along the other axis: where the line is drawn


@dataclass(frozen=True)
class CellBox:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 inside the lines


@dataclass
class TableGeometry:
    box: tuple[int, int, int, int]
    cells: list[CellBox]
    nrows: int


def otsu(gray: np.ndarray) -> int:
    hist = np.bincount(gray.ravel(), minlength=256).astype(float)
    total = hist.sum()
    cum, cum_mean = np.cumsum(hist), np.cumsum(hist * np.arange(256))
    mean = cum_mean[-1] / total
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean * cum - cum_mean) ** 2 / (cum * (total - cum))
    return int(np.nanargmax(between))


def ink(gray: np.ndarray) -> np.ndarray:
    return gray < min(otsu(gray), 200)


def skew_angle(gray: np.ndarray) -> float:
    """The rotation (degrees) that makes text lines and ruling lines horizontal:
    the angle whose horizontal projection of the ink is sharpest."""
    from PIL import Image

    small = Image.fromarray(gray)
    scale = 1000 / max(small.size)
    if scale < 1:
        small = small.resize((int(small.width * scale), int(small.height * scale)), Image.BILINEAR)
    dark = Image.fromarray((ink(np.asarray(small)) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        profile = np.asarray(dark.rotate(angle, resample=Image.NEAREST, fillcolor=0), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.5), key=sharpness)
    fine = np.arange(best - 0.5, best + 0.51, 0.05)
    return float(max(fine, key=sharpness))


def deskew(gray: np.ndarray) -> tuple[np.ndarray, float]:
    from PIL import Image

    angle = skew_angle(gray)
    if abs(angle) < 0.05:
        return gray, 0.0
    img = Image.fromarray(gray).rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    return np.asarray(img), angle


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels that lie in a horizontal run of at least `length` dark pixels."""
    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    csum = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=csum[:, 1:])
    full = (csum[:, length:] - csum[:, :-length]) == length  # window starting at x is all dark
    # a pixel is in a run when some full window covers it: dilate `full` by length-1 to the right
    fcsum = np.zeros((h, full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=fcsum[:, 1:])
    x = np.arange(w)
    hi = np.minimum(x, full.shape[1] - 1) + 1
    lo = np.maximum(x - length + 1, 0)
    return (fcsum[:, hi] - fcsum[:, lo]) > 0


def _lines(mask: np.ndarray, min_len: int) -> list[Line]:
    """Horizontal ruling lines of an ink mask (rows of run pixels, merged when adjacent)."""
    runs = _runs(mask, min_len)
    # bridge one- or two-pixel gaps that blur and JPEG leave in a thin line
    runs[:, 2:] |= runs[:, :-2] & np.roll(runs, -2, axis=1)[:, 2:]
    counts = runs.sum(axis=1)
    rows = np.flatnonzero(counts >= min_len)
    lines: list[Line] = []
    group: list[int] = []
    for y in rows:
        if group and y - group[-1] > MERGE_PX:
            lines.append(_line(runs, group))
            group = []
        group.append(int(y))
    if group:
        lines.append(_line(runs, group))
    return lines


def _line(runs: np.ndarray, ys: list[int]) -> Line:
    return Line(float(np.mean(ys)), runs[ys[0] : ys[-1] + 1].any(axis=0))


def ruling_lines(mask: np.ndarray) -> tuple[list[Line], list[Line], np.ndarray]:
    """(horizontal, vertical, line pixels) of an ink mask."""
    h, w = mask.shape
    horizontal = _lines(mask, max(40, int(w * MIN_LINE_FRACTION)))
    vertical = _lines(mask.T, max(40, int(h * MIN_LINE_FRACTION * 0.5)))
    drawn = _runs(mask, max(40, int(w * MIN_LINE_FRACTION))) | _runs(mask.T, max(40, int(h * MIN_LINE_FRACTION * 0.5))).T
    return horizontal, vertical, drawn


def _covers(line: Line, lo: float, hi: float, share: float = DRAWN_SHARE) -> bool:
    a, b = int(lo), max(int(hi), int(lo) + 1)
    seg = line.cover[a:b]
    return seg.size > 0 and seg.mean() >= share


def tables(horizontal: list[Line], vertical: list[Line]) -> list[TableGeometry]:
    """The ruled tables of a page, each cut into its cells."""
    out = []
    for hs in _table_runs(horizontal, vertical):
        top, bottom = hs[0].pos, hs[-1].pos
        vs = [v for v in vertical if _covers(v, top + 2, bottom - 2) or _spans_some_row(v, hs)]
        if len(vs) < 2:
            continue
        out.append(_cells(hs, sorted(vs, key=lambda v: v.pos)))
    return out


def _spans_some_row(v: Line, hs: list[Line]) -> bool:
    return any(_covers(v, a.pos + 2, b.pos - 2) for a, b in zip(hs, hs[1:], strict=False))


def _table_runs(horizontal: list[Line], vertical: list[Line]) -> list[list[Line]]:
    """Consecutive horizontal lines joined by at least two vertical lines are one table."""
    runs: list[list[Line]] = []
    for line in sorted(horizontal, key=lambda h: h.pos):
        if runs:
            prev = runs[-1][-1]
            joined = sum(1 for v in vertical if _covers(v, prev.pos + 2, line.pos - 2)) >= 2
            if joined:
                runs[-1].append(line)
                continue
        runs.append([line])
    return [r for r in runs if len(r) >= 2]


def _cells(hs: list[Line], vs: list[Line]) -> TableGeometry:
    nr, nc = len(hs) - 1, len(vs) - 1
    # right[r][c]: a drawn boundary right of position (r, c); below[r][c]: under it
    right = [[_covers(vs[c + 1], hs[r].pos + 2, hs[r + 1].pos - 2, MERGED_SHARE) for c in range(nc)] for r in range(nr)]
    below = [[_covers(hs[r + 1], vs[c].pos + 2, vs[c + 1].pos - 2, MERGED_SHARE) for c in range(nc)] for r in range(nr)]
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not right[r][c]:
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not below[r][c]:
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    cells = []
    for members in groups.values():
        r0, c0 = min(m[0] for m in members), min(m[1] for m in members)
        r1, c1 = max(m[0] for m in members), max(m[1] for m in members)
        box = (int(vs[c0].pos) + 3, int(hs[r0].pos) + 3, int(vs[c1 + 1].pos) - 3, int(hs[r1 + 1].pos) - 3)
        cells.append(CellBox(r0, c0, r1 - r0 + 1, c1 - c0 + 1, box))
    cells.sort(key=lambda c: (c.row, c.col))
    box = (int(vs[0].pos), int(hs[0].pos), int(vs[-1].pos), int(hs[-1].pos))
    return TableGeometry(box, cells, nr)


def erase(gray: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """The page with its ruling lines painted white (a pixel of margin around them)."""
    grown = drawn.copy()
    grown[1:] |= drawn[:-1]
    grown[:-1] |= drawn[1:]
    grown[:, 1:] |= drawn[:, :-1]
    grown[:, :-1] |= drawn[:, 1:]
    out = gray.copy()
    out[grown] = 255
    return out
