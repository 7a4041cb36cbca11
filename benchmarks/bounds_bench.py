"""What the parse bounds cost on normal reports: parse time with the bound checks off
and on, in the same run (rounds alternate), and the bounded worker's round trip.

- *off*: parse_document with the checks of parsers/bounds.py switched off (no zip
  check before python-docx, pdfminer's own zlib/LZW decoding); the grid-cell count
  stays (one addition per cell).
- *on*: parse_document as shipped (zip members inflated once more to measure them,
  PDF streams inflated a chunk at a time, pages made one at a time).
- *wall here* / *wall worker*: wall time of parse_document in this process, and of
  parse_bounded as `nianbao parse`/`ingest` call it (the bytes sent to the shared
  worker process, the record back), best of the rounds.

Inputs: the HTML pages of benchmarks/parse_bench.py (~100 KB), the sandbox's PDF and
DOCX reports, and the real 13-page PDF of tests/fixtures/real-reports.

    .venv/bin/python -m benchmarks.bounds_bench [--rounds 3] [--reports 6]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.crawl_bench import machine
from benchmarks.parse_bench import html_pages
from benchmarks.parse_pdf_bench import documents
from parsers import bounds, parse_bounded, parse_document

ROOT = Path(__file__).resolve().parent.parent
REAL_PDF = ROOT / "tests" / "fixtures" / "real-reports" / "009_jiangsu_huaian_city_2024.pdf"


class Checks:
    """Switch the bound checks of parsers/bounds.py off and on in this process."""

    def __init__(self):
        from pdfminer import pdftypes

        self.pdftypes = pdftypes
        self.off_state = (pdftypes.zlib, pdftypes.lzwdecode, pdftypes.decompress_corrupted,
                          pdftypes.PDFStream.decode)
        self.check_zip = bounds.check_zip
        bounds.install_pdf_caps()
        self.on_state = (pdftypes.zlib, pdftypes.lzwdecode, pdftypes.decompress_corrupted,
                         pdftypes.PDFStream.decode)

    def set(self, on: bool) -> None:
        p = self.pdftypes
        p.zlib, p.lzwdecode, p.decompress_corrupted, p.PDFStream.decode = self.on_state if on else self.off_state
        bounds.check_zip = self.check_zip if on else (lambda data, *, source: None)


def _time(docs, fn) -> float:
    """CPU seconds (process time) of fn over every document."""
    start = time.process_time()
    for name, data, ctype in docs:
        fn(data, source=name, filename=name, content_type=ctype)
    return time.process_time() - start


def _wall(docs, fn) -> float:
    start = time.perf_counter()
    for name, data, ctype in docs:
        fn(data, source=name, filename=name, content_type=ctype)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reports", type=int, default=6)
    args = ap.parse_args()
    sets = {
        "HTML": [(n, d, f"text/html; charset={c}" if c else None) for n, d, c in html_pages()],
        "PDF (sandbox)": [(n, d, None) for n, d in documents("pdf", args.reports)],
        "PDF (real, 13 pages)": [(REAL_PDF.name, REAL_PDF.read_bytes(), None)],
        "DOCX (sandbox)": [(n, d, None) for n, d in documents("docx", args.reports)],
    }
    checks = Checks()
    print(f"machine: {machine()}; {args.rounds} rounds, off and on alternating")
    print(f"{'input':<22} {'docs':>4} {'off ms/doc':>11} {'on ms/doc':>10} {'cost':>7} {'wall here':>10} "
          f"{'wall worker':>12}")
    for label, docs in sets.items():
        totals = {True: 0.0, False: 0.0}
        for on in (False, True):  # warm imports and caches both ways
            checks.set(on)
            _time(docs, parse_document)
        for _ in range(args.rounds):
            for on in (False, True):
                checks.set(on)
                totals[on] += _time(docs, parse_document)
        checks.set(True)
        parse_bounded(*docs[0][1:2], source="warm")  # start the worker
        here = min(_wall(docs, parse_document) for _ in range(args.rounds))
        worker = min(_wall(docs, parse_bounded) for _ in range(args.rounds))
        n = len(docs) * args.rounds
        off, on = totals[False] / n * 1000, totals[True] / n * 1000
        print(f"{label:<22} {len(docs):>4} {off:>11.1f} {on:>10.1f} {(on - off) / off:>+7.1%} "
              f"{here / len(docs) * 1000:>10.1f} {worker / len(docs) * 1000:>12.1f}")


if __name__ == "__main__":
    main()
