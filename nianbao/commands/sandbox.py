"""`nianbao sandbox`: serve the fake government web on loopback until Ctrl-C."""

from __future__ import annotations

import time

HELP = "serve the sandbox government web (fake portals with known reports) on loopback"


def add_arguments(parser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port for every site (default: a free one)")
    parser.add_argument("--seed", type=int, default=0, help="world seed (same seed, same bytes)")
    parser.add_argument("--generation", type=int, default=0,
                        help="re-publish one report N times (a re-crawl must snapshot it anew)")
    parser.add_argument("--slow", type=float, default=1.5, help="seconds a slow page waits (0: none)")
    parser.add_argument("--registry", metavar="FILE",
                        help="also write the sites as a crawler registry (YAML) to FILE, with the host map")
    parser.add_argument("--no-hosted", action="store_true",
                        help="leave out 广东 and 湖南, the provinces served under host names")


def run(args) -> int:
    from pathlib import Path

    from nianbao.cli import UserError
    from sandbox import server, world

    if args.registry and not Path(args.registry).resolve().parent.is_dir():
        raise UserError(f"--registry {args.registry}: no such folder")
    try:
        handle = server.start(port=args.port, seed=args.seed, slow_seconds=args.slow, generation=args.generation,
                              hosted=not args.no_hosted)
    except OSError as exc:
        raise UserError(f"cannot listen on port {args.port}: {exc.strerror or exc}") from None
    try:
        w = handle.world
        print(f"sandbox seed {args.seed}: {len(w.sites)} sites, {len(w.bodies)} bodies, "
              f"{len(w.reports)} reports ({sum(r.expected for r in w.reports)} reachable), "
              f"{len(w.decoys)} decoys")
        for s in w.sites:
            print(f"  {s.base_url + '/':36} {s.slug:22} {s.cms:8} {s.charset:6} {s.status:18} {s.name}")
        hosts = w.host_map()
        if hosts:  # what a crawler must be told (nianbao crawl --resolve HOST:ADDRESS, or the registry file)
            print("host names (crawl with --resolve HOST:ADDRESS, or --registry FILE written here):")
            for host, address in hosts.items():
                print(f"  --resolve {host}:{address}")
        if args.registry:
            import yaml

            with open(args.registry, "w", encoding="utf-8") as f:
                yaml.safe_dump({"sites": world.registry_entries(handle), "resolve": w.host_map()}, f,
                               allow_unicode=True, sort_keys=False)
            print(f"registry written to {args.registry}")
        # a crawl refuses loopback addresses unless told otherwise (crawler/scope.py)
        print("crawl it with -s NIANBAO_ALLOW_PRIVATE_ADDRESSES=True (loopback is refused by default)")
        print("serving; Ctrl-C to stop", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        handle.stop()
