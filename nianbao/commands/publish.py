"""nianbao publish --db FILE: make the archive's current state the one its site serves."""

from __future__ import annotations

from nianbao.cli import UserError

HELP = "publish an archive's current state to its site (a copy that nianbao serve switches to)"


def add_arguments(parser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file")


def run(args) -> int:
    from archive import ArchiveError
    from nianbao.site.publish import publish

    try:
        copy = publish(args.db)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot publish {args.db}: {exc.strerror or exc}") from None
    print(f"nianbao: published {args.db} as {copy}", flush=True)
    return 0
