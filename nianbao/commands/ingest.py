"""nianbao ingest PATH... --db FILE: add local documents to an archive.

Each file is parsed (parsers.parse_path), kept as a snapshot under the
identifier file:<folder>/<name>, and saved as a report. Running it twice
changes nothing: same bytes are the same snapshot, same record the same report.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.cli import UserError

HELP = "add local files or folders of annual reports to an archive"


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to ingest")
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file (created if missing)")
    parser.add_argument("--min-free-mb", type=float, default=64, metavar="MB",
                        help="stop (exit 1) before the archive's disk has less than this plus the WAL free (default 64)")


def run(args) -> int:
    import archive

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {missing[0]}")
    try:
        db = archive.open_archive(args.db)
    except archive.ArchiveError as exc:
        raise UserError(str(exc)) from None
    try:
        counts = archive.ingest_paths(db, args.paths, min_free_mb=args.min_free_mb)
        archive.store.checkpoint(db)
    finally:
        db.conn.close()
    for line in counts["errors"]:
        print(f"nianbao ingest: skipped {line}", file=sys.stderr)
    print(
        f"{counts['files']} files: {counts['reports']} reports, {counts['not_reports']} not reports,"
        f" {counts['rejected']} rejected; {counts['snapshots_new']} new snapshots -> {args.db}"
    )
    return 2 if counts["rejected"] else 0  # like `nianbao parse`: the good files are in, the bad ones named
