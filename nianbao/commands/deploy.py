"""nianbao deploy --scrapyd URL[,URL…]: put the crawler on scrapyd servers as an egg."""

from __future__ import annotations

import time
from pathlib import Path

HELP = "build the crawler's egg and upload it to one or more scrapyd servers"


def add_arguments(parser) -> None:
    parser.add_argument("--scrapyd", metavar="URL[,URL…]", help="scrapyd servers (http://host:6800)")
    parser.add_argument("--project", default="nianbao", help="scrapyd project name (default: nianbao)")
    parser.add_argument("--version", help="egg version (default: the current Unix time, so the newest wins)")
    parser.add_argument("--egg-out", metavar="FILE", help="also write the egg here (for scrapyd-deploy --egg FILE)")


def run(args) -> int:
    from crawler import scrapyd as sd
    from crawler.scrapyd_egg import build_egg
    from nianbao.cli import UserError

    if not args.scrapyd and not args.egg_out:
        raise UserError("give --scrapyd URL[,URL…] (and/or --egg-out FILE to only build the egg)")
    out = Path(args.egg_out) if args.egg_out else None
    if out is not None and out.is_dir():
        raise UserError(f"--egg-out {out} is a directory")
    try:
        servers = sd.servers_from(args.scrapyd) if args.scrapyd else []
        for server in servers:  # all reachable before the first upload
            server.status()
    except sd.ScrapydError as exc:
        raise UserError(str(exc)) from None
    egg = build_egg()
    if out is not None:
        out.write_bytes(egg)
        print(f"egg: {out} ({len(egg) // 1024} KB)")
    version = args.version or str(int(time.time()))
    for server in servers:
        try:
            answer = server.add_version(args.project, version, egg)
        except sd.ScrapydError as exc:
            raise UserError(str(exc)) from None
        print(f"deployed {args.project} {version} to {server.url}: {answer.get('spiders')} spider(s)")
    return 0
