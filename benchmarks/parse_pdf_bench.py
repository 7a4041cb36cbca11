"""Parse throughput for PDF (and DOCX) reports: reports per second on one core.

Inputs are the sandbox's report files (fpdf2 PDFs with an embedded CJK font and
real text, python-docx files with merged cells), 2019- and 2021-template
reports with all three tables. CPU time, as in benchmarks/parse_bench.py
(HTML and text figures).

    .venv/bin/python -m benchmarks.parse_pdf_bench [--seconds 5] [--reports 12]
"""

from __future__ import annotations

import argparse

from benchmarks.crawl_bench import machine
from benchmarks.parse_bench import rate
from parsers import parse_document
from sandbox import site, world


def documents(kind: str, count: int) -> list[tuple[str, bytes]]:
    w = world.build_world(0)
    reports = [r for r in w.reports if r.kind == kind and r.format != "pre-2019"][:count]
    return [(f"{r.id}.{kind}", site.rendered_file(r)) for r in reports]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--reports", type=int, default=12)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for kind in ("pdf", "docx"):
        docs = documents(kind, args.reports)
        sizes = [len(d) for _, d in docs]
        per_s, n = rate(docs, lambda item: parse_document(item[1], source=item[0], filename=item[0]), args.seconds)
        print(f"{kind}: {len(docs)} reports, {min(sizes) // 1000}-{max(sizes) // 1000} KB:"
              f" {per_s:6.1f} reports/s/core ({1000 / per_s:.0f} ms each, {n} parsed)")


if __name__ == "__main__":
    main()
