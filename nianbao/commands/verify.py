"""nianbao verify --db FILE: re-hash every snapshot and check the database's integrity.

Exit status 0 when everything holds, 1 when any mismatch is found (each
printed on its own line), 2 for a file that is not an archive.
"""

from __future__ import annotations

import sys

from nianbao.cli import UserError

HELP = "re-hash every snapshot of an archive and check its integrity (read-only)"


def add_arguments(parser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file to verify")


def run(args) -> int:
    from archive import ArchiveError
    from archive.verify import verify_archive

    try:
        result = verify_archive(args.db)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    for problem in result.problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(result.summary())
    return 0 if result.ok else 1
