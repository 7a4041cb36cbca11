"""The `nianbao` command: one subcommand per module in nianbao/commands/.

Each command module defines `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so a broken optional
dependency of one command never breaks the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command name -> module; each module lives in nianbao/commands/
COMMANDS = {
    "parse": "nianbao.commands.parse",
    "ingest": "nianbao.commands.ingest",
    "serve": "nianbao.commands.serve",
    "crawl": "nianbao.commands.crawl",
    "sandbox": "nianbao.commands.sandbox",
    "demo": "nianbao.commands.demo",
    "verify": "nianbao.commands.verify",
    "merge": "nianbao.commands.merge",
    "deploy": "nianbao.commands.deploy",
    "publish": "nianbao.commands.publish",
    "sites": "nianbao.commands.sites",
}
# Commands that write an archive: a published archive (being served) is published again
# after they succeed, so the site shows the new state (nianbao/site/publish.py).
WRITERS = ("ingest", "crawl", "merge")


class UserError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _available() -> dict[str, object]:
    found = {}
    for name, modname in COMMANDS.items():
        try:
            found[name] = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name != modname:
                raise
    return found


def build_parser(modules: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description="Archive of 政府信息公开工作年度报告")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, mod in modules.items():
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    modules = _available()
    args = build_parser(modules).parse_args(argv)
    try:
        status = int(modules[args.command].run(args) or 0)
        if args.command in WRITERS and getattr(args, "db", None):
            _publish_after_write(args.command, args.db)
        return status
    except UserError as exc:
        print(f"nianbao {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nianbao {args.command}: interrupted", file=sys.stderr)
        return 130


def _publish_after_write(command: str, db: str) -> None:
    from nianbao.site.publish import publish_if_published

    copy = publish_if_published(db)
    if copy is not None:
        print(f"nianbao {command}: published {db} for the site ({copy})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
