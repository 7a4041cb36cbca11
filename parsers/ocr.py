"""The OCR engine: RapidOCR (PP-OCRv4 detection + recognition, ONNX models that
ship inside its wheel), chosen over Tesseract on the template tables (figures
in docs/parsing.md).

Two uses: `text_lines` finds and reads the lines of prose outside the tables
(detection + recognition); `read_crops` reads table cells already cut out by
their ruling lines (recognition only, one tight crop per cell: no detection
can merge two cells or miss a lone "0"). Every reading carries the engine's
confidence (mean character probability, 0–1).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache

import numpy as np

ENGINE = "RapidOCR"
INSTALL_HINT = "pip install rapidocr-onnxruntime==1.4.4"
# specks smaller than this (fraction of the dpi: 0.03 → 6 px at 200 dpi) are
# noise unless they sit inside the text (a decimal point between digits)
SPECK_OF_DPI = 0.03
# detection runs on the page scaled to this long side; recognition in batches this big
DET_SIDE = 1280
REC_BATCH = 16
# the narrowest input of the recognizer: its default; narrower reads a lone "0" as "o"
REC_MIN_WIDTH = 320
PIECE_HEIGHTS = 12


class OcrUnavailable(Exception):
    pass


@dataclass(frozen=True)
class TextLine:
    text: str
    box: tuple[int, int, int, int]
    confidence: float


@cache
def engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise OcrUnavailable(f"the OCR engine ({ENGINE}) is not installed: {INSTALL_HINT}") from None
    threads = int(os.environ.get("NIANBAO_OCR_THREADS", "0")) or -1
    return RapidOCR(print_verbose=False, intra_op_num_threads=threads, inter_op_num_threads=1,
                    det_limit_type="max", det_limit_side_len=DET_SIDE, rec_batch_num=REC_BATCH,
                    rec_img_shape=[3, 48, REC_MIN_WIDTH])


def _rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[:, :, None], 3, axis=2)


def text_lines(gray: np.ndarray, threshold: int) -> list[TextLine]:
    """Lines of text on a (deskewed, table-free) page, top to bottom. Detection
    finds the lines; each is read in pieces cut at blank columns (the
    recognizer's cost grows faster than the width: a page-wide line costs
    ~4x its pieces)."""
    found = engine().text_det(_rgb(gray))[0]
    if found is None or len(found) == 0:
        return []
    boxes, pieces, owner = [], [], []
    for points in found:
        xs, ys = points[:, 0], points[:, 1]
        box = (int(max(xs.min(), 0)), int(max(ys.min(), 0)), int(xs.max()) + 1, int(ys.max()) + 1)
        line = gray[box[1]:box[3], box[0]:box[2]]
        if line.size == 0:
            continue
        for piece in _pieces(line, threshold):
            pieces.append(piece)
            owner.append(len(boxes))
        boxes.append(box)
    texts = [["", 1.0] for _ in boxes]
    for i, (text, score) in zip(owner, read_crops(pieces), strict=True):
        texts[i][0] += text
        texts[i][1] = min(texts[i][1], score)
    return _join_lines([TextLine(t, b, c) for (t, c), b in zip(texts, boxes, strict=True) if t.strip()])


def _pieces(line: np.ndarray, threshold: int) -> list[np.ndarray]:
    """A line image cut into pieces of about PIECE_HEIGHTS heights, at blank columns."""
    h, w = line.shape
    step = max(h * PIECE_HEIGHTS, 64)
    if w <= step * 1.3:
        return [line]
    blank = (line < threshold).sum(axis=0) == 0
    out, start = [], 0
    while w - start > step * 1.3:
        target = start + step
        window = np.flatnonzero(blank[target - h:target + h]) + target - h
        cut = int(window[np.argmin(abs(window - target))]) if window.size else target
        out.append(line[:, start:cut])
        start = cut
    out.append(line[:, start:])
    return out


def _join_lines(boxes: list[TextLine]) -> list[TextLine]:
    """Boxes on the same printed line (vertical overlap over half a box) joined left to right."""
    lines: list[list[TextLine]] = []
    for b in sorted(boxes, key=lambda b: (b.box[1] + b.box[3]) / 2):
        mid = (b.box[1] + b.box[3]) / 2
        if lines:
            last = lines[-1][-1]
            if last.box[1] <= mid <= last.box[3]:
                lines[-1].append(b)
                continue
        lines.append([b])
    out = []
    for group in lines:
        group.sort(key=lambda b: b.box[0])
        box = (min(b.box[0] for b in group), min(b.box[1] for b in group),
               max(b.box[2] for b in group), max(b.box[3] for b in group))
        text = _SPECK_AFTER_MARK.sub("", "".join(b.text for b in group))
        out.append(TextLine(text, box, min(b.confidence for b in group)))
    return out


# a speck read as a dot right after an enumeration mark (三、·收到…) hides a part heading
_SPECK_AFTER_MARK = re.compile(r"(?<=[、，：；])[·•.。，、]+")


def cell_crops(gray: np.ndarray, box: tuple[int, int, int, int], threshold: int, dpi: int) -> list[np.ndarray]:
    """The text lines of a table cell, each tightly cropped with a margin, specks
    removed; [] for a blank cell (nothing but specks). A header wrapped in its
    cell (社会公益组 / 织) is two lines, read in order and joined."""
    import cv2

    x0, y0, x1, y1 = box
    region = gray[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
    if region.size == 0:
        return []
    dark = (region < threshold).astype(np.uint8)
    # a thin stroke (a minus sign) broken by blur and JPEG is one component again
    joined = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    speck = max(3, int(dpi * SPECK_OF_DPI))
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    big = np.flatnonzero(np.maximum(width, height) >= speck)
    big = big[big > 0]
    if big.size == 0:
        return []
    left = stats[big, cv2.CC_STAT_LEFT].min()
    right = (stats[big, cv2.CC_STAT_LEFT] + width[big]).max()
    top = stats[big, cv2.CC_STAT_TOP].min()
    bottom = (stats[big, cv2.CC_STAT_TOP] + height[big]).max()
    keep = np.zeros(n, dtype=bool)
    keep[big] = True
    cx = stats[:, cv2.CC_STAT_LEFT] + width / 2
    cy = stats[:, cv2.CC_STAT_TOP] + height / 2
    keep |= (left < cx) & (cx < right) & (top < cy) & (cy < bottom)  # a point or comma inside the text
    # a sign just before the number: a short stroke (specks are round), level with the text
    x0s = stats[:, cv2.CC_STAT_LEFT]
    stroke = (2 * width >= 3 * height) & (width >= max(3, dpi // 60)) & (x0s + width >= left - (bottom - top)) & (x0s < left)
    keep |= stroke & (top < cy) & (cy < bottom)
    keep[0] = False
    left = min(left, int(x0s[keep].min()))
    ink = keep[labels] & (dark == 1)
    clean = np.where(ink, region, 255).astype(np.uint8)
    solid = np.isin(labels, big) | (keep[labels] & (x0s[labels] < stats[big, cv2.CC_STAT_LEFT].min()))
    rows = solid[:, left:right].any(axis=1)  # specks never join two lines
    out = []
    for r0, r1 in _runs_of(rows, min_gap=max(2, dpi // 100)):
        if r1 - r0 < speck:
            continue
        cols = np.flatnonzero(solid[r0:r1].any(axis=0))  # the line's own extent
        pad = max(4, (r1 - r0) // 3)
        out.append(np.pad(clean[r0:r1, cols[0]:cols[-1] + 1], pad, constant_values=255))
    return out


def _runs_of(flags: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True, joining runs separated by fewer than min_gap False."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return []
    runs, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - prev > min_gap:
            runs.append((int(start), int(prev) + 1))
            start = i
        prev = i
    runs.append((int(start), int(prev) + 1))
    return runs


ORIENT_SIDE = 960  # px: the long side of the copy whose text lines tell a page's orientation
ORIENT_LINES = 12  # the longest lines the angle classifier looks at to tell upright from upside down


def quarter_turns(gray: np.ndarray) -> int:
    """How many quarter turns (counter-clockwise, as np.rot90) put a scan's text
    upright: a page scanned sideways or upside down. Its text lines, found on a
    small copy, run across (0 or 2) or up and down (1 or 3); the engine's angle
    classifier, on the longest lines, says which way up."""
    from PIL import Image

    scale = min(ORIENT_SIDE / max(gray.shape), 1.0)
    small = np.asarray(Image.fromarray(gray).resize(
        (max(int(gray.shape[1] * scale), 1), max(int(gray.shape[0] * scale), 1)), Image.BILINEAR))
    found = engine().text_det(_rgb(small))[0]
    if found is None or len(found) == 0:
        return 0
    boxes = [(int(max(p[:, 0].min(), 0)), int(max(p[:, 1].min(), 0)), int(p[:, 0].max()) + 1, int(p[:, 1].max()) + 1)
             for p in found]
    across = sum(1 for x0, y0, x1, y1 in boxes if x1 - x0 > y1 - y0)
    base = 0 if 2 * across >= len(boxes) else 1
    longest = sorted(boxes, key=lambda b: -max(b[2] - b[0], b[3] - b[1]))[:ORIENT_LINES]
    crops = []
    for x0, y0, x1, y1 in longest:
        line = np.rot90(small[y0:y1, x0:x1], base)  # runs across: upright or upside down
        if line.size:
            crops.append(line[:, :line.shape[0] * PIECE_HEIGHTS])  # a piece tells as well as the line

    # the engine's angle classifier (a small model) says of each line upright or upside down
    _, angles, _ = engine().text_cls([_rgb(np.ascontiguousarray(c)) for c in crops])
    upside_down = sum(score for label, score in angles if label == "180")
    return (base + 2) % 4 if upside_down > sum(score for label, score in angles if label != "180") else base


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """(text, confidence) of each crop, by the recognition model alone."""
    if not crops:
        return []
    rec = engine().text_rec
    out = rec([_rgb(c) for c in crops])
    readings = out[0] if isinstance(out, tuple) else out
    return [(str(text), float(score)) for text, score in readings]
