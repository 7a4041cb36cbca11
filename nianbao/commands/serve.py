"""nianbao serve --db FILE [--port N]: publish an archive with Datasette, read-only.

The site serves the archive's published copy (nianbao/site/publish.py), published now
if the archive changed since; `nianbao publish` (or any ingest, crawl or merge into
the archive) publishes a new state, which the running site switches to."""

from __future__ import annotations

from nianbao.cli import UserError
from nianbao.site.publish import upgrade_schema

HELP = "publish an archive as a read-only website (Datasette, immutable published copy)"


def add_arguments(parser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="archive file made by nianbao ingest")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="listen at once; the first visitors pay for the default pages",
    )


def run(args) -> int:
    import asyncio

    import uvicorn

    from archive import ArchiveError
    from archive.store import check_archive_file
    from nianbao.site.publish import ServedSite, is_stale, publish

    try:
        check_archive_file(args.db)
        upgrade_schema(args.db)  # the working file; the copy published next has the newest schema
        if is_stale(args.db):
            print(f"nianbao: publishing {args.db} for the site …", flush=True)
            publish(args.db)
    except ArchiveError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot publish {args.db}: {exc.strerror or exc}") from None
    site = ServedSite(args.db, warm=not getattr(args, "no_warm", False))  # (demo passes db, port, host)
    pointer = asyncio.run(site.start())
    print(f"nianbao: serving {args.db} (copy {pointer['id']}) at http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(site, host=args.host, port=args.port, log_level="warning")
    return 0
