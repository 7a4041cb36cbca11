"""nianbao merge SHARD... --db FILE: fold shard archives (one per crawl job) into one."""

from __future__ import annotations

from pathlib import Path

HELP = "merge shard archives of a multi-node crawl into one archive (idempotent)"


def add_arguments(parser) -> None:
    parser.add_argument("shards", nargs="+", metavar="SHARD",
                        help="shard archive files, or directories whose *.db files are shards")
    parser.add_argument("--db", required=True, help="the archive to merge into (created if missing)")


def shard_files(paths: list[str], dest: Path) -> list[Path]:
    """Files as given; a directory stands for its *.db files (sorted, so runs are reproducible),
    except the destination itself (`merge shards/ --db shards/all.db` can be run again)."""
    from nianbao.cli import UserError

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.glob("*.db") if f.resolve() != dest)
            if not found:
                raise UserError(f"{p} holds no *.db shard archives")
            out.extend(found)
        else:
            out.append(p)
    return out


def run(args) -> int:
    from archive.merge import merge_archives
    from archive.store import ArchiveError
    from nianbao.cli import UserError

    dest = Path(args.db)
    shards = shard_files(args.shards, dest.resolve())
    try:
        counts = merge_archives(dest, shards)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    print(f"merged {counts['shards']} shards into {args.db}: {counts.get('reports_new', 0)} new reports,"
          f" {counts.get('reports_replaced', 0)} replaced by a later document,"
          f" {counts.get('snapshots_new', 0)} new snapshots, {counts.get('sightings_new', 0)} new sightings")
    return 0
