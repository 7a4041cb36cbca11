"""nianbao demo [--port N]: sandbox → crawl with progress → archive → Datasette.

Everything runs on this machine: the sandbox government web on loopback, a
real crawl of one province (in a subprocess, showing live progress), then the
archive served read-only with Datasette until Ctrl-C. Stops the sandbox on exit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

HELP = "run the whole pipeline on the sandbox: crawl a province, build the archive, serve it"

# The sandbox is our own server on loopback, so the demo may hurry; real crawls
# keep the polite defaults of crawler/settings.py.
DEMO_SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=16",
                 "CONCURRENT_REQUESTS_PER_DOMAIN=4",
                 "RETRY_TIMES=1", "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True")  # the sandbox is on loopback


def add_arguments(parser) -> None:
    parser.add_argument("--port", type=int, default=8001, help="Datasette port (default 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="Datasette interface (default 127.0.0.1)")
    parser.add_argument("--province", default="henan", help="sandbox province to crawl: henan, fujian, yunnan, or guangdong (found from its portal alone)")
    parser.add_argument("--dir", default="nianbao-demo", help="where the demo archive goes (default ./nianbao-demo)")
    parser.add_argument("--seed", type=int, default=0, help="sandbox world seed")
    parser.add_argument("--slow", type=float, default=0.5, help="seconds the sandbox's slow pages wait")
    parser.add_argument("--no-serve", action="store_true", help="stop after building the archive")


def run(args) -> int:
    import yaml

    from nianbao.cli import UserError
    from sandbox import server, world

    workdir = Path(args.dir)
    if workdir.exists() and not workdir.is_dir():
        raise UserError(f"--dir {workdir} exists and is not a directory")
    db = workdir / "demo.db"
    # Sandbox ports change per run, so URLs (and snapshots) would too: start clean.
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), workdir / "jobs"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    workdir.mkdir(parents=True, exist_ok=True)

    handle = server.start(seed=args.seed, slow_seconds=args.slow, hosted=True)
    try:
        try:
            province = handle.world.province(args.province)
        except KeyError:
            names = ", ".join(p.slug for p in handle.world.provinces)
            raise UserError(f"the sandbox has no province {args.province!r} (try {names})") from None
        registry = workdir / "sandbox-registry.yml"
        # The host map of the sites served under host names goes with the registry (crawl reads it).
        registry.write_text(yaml.safe_dump({"sites": world.registry_entries(handle),
                                            "resolve": handle.world.host_map()}, allow_unicode=True,
                                           sort_keys=False), encoding="utf-8")
        sites = [s for s in handle.world.sites if s.province is province]
        print(f"sandbox: {len(sites)} {province.name} sites on loopback "
              f"({', '.join(s.base_url for s in sites)})", flush=True)
        print(f"crawling {province.name} into {db} …", flush=True)
        cmd = [sys.executable, "-m", "nianbao", "crawl", "--province", province.slug, "--registry", str(registry),
               "--db", str(db), "--progress", "2"]
        for setting in DEMO_SETTINGS:
            cmd += ["-s", setting]
        # A subprocess: Scrapy's reactor runs once per process, and Datasette needs its own loop after.
        rc = subprocess.call(cmd)
        if rc != 0:
            print(f"nianbao demo: the crawl exited with {rc}", file=sys.stderr)
            return rc
        from archive.store import checkpoint, open_archive

        adb = open_archive(db)
        checkpoint(adb)  # fold the WAL in: Datasette opens the file immutable
        adb.conn.close()
        if args.no_serve:
            return 0
        from nianbao.commands import serve

        return serve.run(Namespace(db=str(db), port=args.port, host=args.host))
    finally:
        handle.stop()
