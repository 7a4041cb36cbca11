"""Every benchmark of docs/scale.md at its small size, one after another (`make bench`).

The figures in the docs come from these commands (some at larger sizes, named
there). Each benchmark prints its own table; a failing one stops the run with
its exit status, nothing is swallowed. Run on a quiet machine: the crawl and
latency figures are wall-clock.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def steps(work: Path, full: bool) -> list[tuple[str, list[str]]]:
    reports = "100000" if full else "10000"
    db = str(work / f"archive-{reports}.db")
    return [
        ("parse: HTML and text, reports/s per core", ["-m", "benchmarks.parse_bench", "--seconds", "3"]),
        ("parse: PDF and DOCX", ["-m", "benchmarks.parse_pdf_bench", "--seconds", "5"]),
        ("store: the crawl's storing steps, ms CPU per document (and what the triggers cost)",
         ["-m", "benchmarks.store_bench", "--documents", "300", "--runs", "7" if full else "3"]),
        ("crawl: sandbox web, politeness off, beside wget --mirror", ["-m", "benchmarks.crawl_bench", "--departments", "10"]),
        ("crawl: HTML-only web", ["-m", "benchmarks.crawl_bench", "--departments", "10", "--html-only", "--no-wget"]),
        ("crawl: many-site province, politeness on (wall time against its largest site)",
         ["-m", "benchmarks.many_sites", "--sites", "200" if full else "50"]),
        ("memory: peak RSS by crawl size (big web)",
         ["-m", "benchmarks.memory_crawl", "--pages", *(["100000"] if full else ["10000"])]),
        (f"archive: build {reports} reports", ["-m", "benchmarks.archive_generate", "--reports", reports, "--out", db]),
        (f"archive: Datasette latency at {reports} reports", ["-m", "benchmarks.archive_latency", "--db", db,
                                                              "--requests", "40"]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the docs' large sizes (100k reports, 100k pages: ~2 h)")
    parser.add_argument("--only", help="run the steps whose title contains this word (parse, store, crawl, memory, archive)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        for title, cmd in steps(Path(tmp), args.full):
            if args.only and args.only not in title:
                continue
            print(f"\n== {title}\n$ python {' '.join(cmd)}", flush=True)
            done = subprocess.run([sys.executable, *cmd], cwd=ROOT)
            if done.returncode != 0:
                print(f"benchmark failed (exit {done.returncode}): {title}", file=sys.stderr)
                return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
