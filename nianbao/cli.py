"""The `nianbao` command: one subcommand per module in nianbao/commands/.

Each command module defines `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their command runs, so a broken optional
dependency of one command never breaks the others.
"""

from __future__ import annotations

import argparse
import importlib
import os
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


class CommandFailed(Exception):
    """The command could not do its work (the archive could not be written): one line, exit status 1."""


def _available() -> dict[str, object]:
    found = {}
    for name, modname in COMMANDS.items():
        try:
            found[name] = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name != modname:
                raise
    return found


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("nianbao")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser(modules: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description="Archive of 政府信息公开工作年度报告")
    parser.add_argument("--version", action="version", version=f"nianbao {version()}")
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
    except CommandFailed as exc:
        print(f"nianbao {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nianbao {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `nianbao parse … | head`: the reader has what it wanted. Point stdout at devnull so
        # the interpreter's final flush does not raise again, and end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141 if os.name == "posix" else 1
    except Exception as exc:
        from nianbao.vocabulary import storage_failure

        reason = storage_failure(exc)  # disk full: what every save meets, said once
        if reason is None:
            raise
        print(f"nianbao {args.command}: {reason}", file=sys.stderr)
        return 1


def _publish_after_write(command: str, db: str) -> None:
    from nianbao.site.publish import publish_if_published

    copy = publish_if_published(db)
    if copy is not None:
        print(f"nianbao {command}: published {db} for the site ({copy})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
