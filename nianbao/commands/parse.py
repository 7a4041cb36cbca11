"""nianbao parse FILE... — print one canonical record per file as JSON lines.

Each file is parsed in a worker process within a time and memory limit
(parsers/bounded.py): a file over a bound is one line on stderr, and the next
file is parsed."""

from __future__ import annotations

import argparse
import json
import sys

from parsers import InputError, parse_path_bounded

HELP = "parse annual reports (HTML, text, PDF, Word) into canonical records, one JSON line per file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="report files to parse")
    parser.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            record = parse_path_bounded(path)  # within time and memory limits (parsers/bounded.py)
        except InputError as exc:
            print(f"nianbao parse: {exc}", file=sys.stderr)
            failed += 1
            continue
        except Exception as exc:  # a parser bug must not hide the other files' records
            print(f"nianbao parse: {path}: internal error ({type(exc).__name__}: {exc})", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(record, ensure_ascii=False, indent=args.indent), flush=True)
    return 2 if failed else 0
