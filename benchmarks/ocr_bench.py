"""Scanned reports and Word 97 binaries: time and exactness.

    .venv/bin/python -m benchmarks.ocr_bench [--reports 3] [--dpi 150 200 300] [--engines] [--doc 3]

For sandbox reports of seed 0 (the 2021, 2019 and pre-2019 picks of
tests/format_inputs.py first, then more 2019/2021 reports), each rendered by
the sandbox (fpdf2), scanned (sandbox/render_formats.scan_pdf: skew, specks,
blur, JPEG) at each dpi and parsed: CPU and wall seconds per page, and every
ground-truth cell counted exact, uncertain (null and named in the problems)
or wrong. `--engines` also reads the same scans with Tesseract (chi_sim, one
TSV pass over the line-erased page, words placed in the same cells) in place
of RapidOCR's per-cell recognition. `--doc N`: seconds per .doc conversion
(LibreOffice, a warm profile) and parse.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path


def _reports(n: int):
    from sandbox import world
    from tests.format_inputs import reports

    picks = [r for r in reports().values() if r.format != "pre-2019"]
    others = [r for r in world.build_world(seed=0).reports
              if r.expected and r.format != "pre-2019" and r not in picks]
    return (picks + others[:: max(1, len(others) // 20)])[:n]


def score(got: dict, want: dict) -> tuple[int, int, int]:
    from tests.format_inputs import cell_values

    g, w = cell_values(got), cell_values(want)
    exact = uncertain = wrong = 0
    for key, value in w.items():
        if g.get(key, "absent") == value:
            exact += 1
        elif g.get(key) is None and any(p.startswith(".".join(x for x in key if x) + ":") for p in got["problems"]):
            uncertain += 1
        else:
            wrong += 1
    return exact, uncertain, wrong


def _tesseract_rows(gray, table, threshold, dpi):
    """Cells of one table from one Tesseract TSV pass over the erased page."""
    from PIL import Image

    from parsers.scanned import as_read

    words = _TESS_CACHE.get(id(gray))
    if words is None:
        with tempfile.TemporaryDirectory() as tmp:
            Image.fromarray(gray).save(f"{tmp}/p.png")
            out = subprocess.run(["tesseract", f"{tmp}/p.png", "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                                 capture_output=True, text=True, timeout=300).stdout
        words = []
        for line in out.splitlines()[1:]:
            f = line.split("\t")
            if len(f) == 12 and f[0] == "5" and f[11].strip():
                x, y, w, h = map(int, f[6:10])
                words.append((f[11], (x + w / 2, y + h / 2), float(f[10]) / 100))
        _TESS_CACHE.clear()
        _TESS_CACHE[id(gray)] = words
    rows = [[] for _ in range(table.nrows)]
    for cell in table.cells:
        x0, y0, x1, y1 = cell.box
        inside = [w for w in words if x0 <= w[1][0] < x1 and y0 <= w[1][1] < y1]
        text = "".join(w[0] for w in inside)
        rows[cell.row].append(as_read(text, min((w[2] for w in inside), default=1.0)) if text else "")
    return [r for r in rows if r]


_TESS_CACHE: dict = {}


def run_scans(n: int, dpis: list[int], engine: str) -> None:
    import pypdfium2

    from parsers import parse_document, scanned
    from sandbox import render_formats, render_pdf

    original = scanned._table_rows
    if engine == "tesseract":
        scanned._table_rows = _tesseract_rows
    try:
        print(f"\n{engine}: report, dpi, pages, CPU s/page, wall s/page, cells exact / uncertain / wrong")
        totals: dict[int, list[int]] = {}
        for report in _reports(n):
            pdf = render_pdf.render(report)
            for dpi in dpis:
                scan = render_formats.scan_pdf(pdf, dpi=dpi, seed=dpi)
                cpu, wall = time.process_time(), time.perf_counter()
                got = parse_document(scan, source="scan.pdf", filename="scan.pdf")
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                pages = len(pypdfium2.PdfDocument(pdf))
                e, u, w = score(got, report.record)
                t = totals.setdefault(dpi, [0, 0, 0, 0, 0.0])
                t[0] += e
                t[1] += u
                t[2] += w
                t[3] += pages
                t[4] += cpu
                print(f"  {report.format} {report.id} {dpi} dpi, {pages} pages, {cpu / pages:.1f} / {wall / pages:.1f} s,"
                      f" {e} / {u} / {w}", flush=True)
        for dpi, (e, u, w, pages, cpu) in sorted(totals.items()):
            n_cells = max(e + u + w, 1)
            print(f"  total {dpi} dpi: {e} exact, {u} uncertain ({100 * u / n_cells:.1f} %), {w} wrong; "
                  f"{cpu / max(pages, 1):.1f} s CPU a page")
    finally:
        scanned._table_rows = original


def run_doc(n: int) -> None:
    from parsers import office, parse_document
    from sandbox import render_docx

    print("\n.doc: convert (LibreOffice) + parse, wall seconds per document")
    for report in _reports(n):
        data = office.convert(render_docx.render(report), suffix=".docx", target="doc:MS Word 97")
        start = time.perf_counter()
        office.to_docx(data)
        converted = time.perf_counter() - start
        parse_document(data, source="r.doc", filename="r.doc")
        total = time.perf_counter() - start - converted
        print(f"  {report.format} {report.id}: convert {converted:.2f} s, convert + parse {total:.2f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=3)
    ap.add_argument("--dpi", type=int, nargs="+", default=[200])
    ap.add_argument("--engines", action="store_true", help="also Tesseract in place of RapidOCR")
    ap.add_argument("--doc", type=int, default=0, help="time N .doc conversions")
    args = ap.parse_args()
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    run_scans(args.reports, args.dpi, "rapidocr")
    if args.engines:
        run_scans(min(args.reports, 2), [200], "tesseract")
    if args.doc:
        run_doc(args.doc)


if __name__ == "__main__":
    main()
