"""A bigger sandbox web for crawl benchmarks: the same 14 sites, each ok site hosting
`departments` more bodies (郑州市 + 教育局 …, ~9 reports each), served from memory.

The sandbox renders pages on demand; a benchmark of the crawler must not
measure the sandbox, so answers are memoised per request (a real portal
answers from its cache too) and the benchmark crawls once, untimed, to warm them.
`html_only` makes every report an HTML page (the same reports, bodies and
years; the PDF and DOCX ones become pages): the crawl without the cost of
PDF parsing.

    .venv/bin/python -m benchmarks.crawl_web --departments 10 --registry FILE [--html-only]

serves the web in its own process (so it has its own core and GIL, as a real
portal would) until stdin closes or SIGTERM; benchmarks/crawl_bench.py runs it so.
"""

from __future__ import annotations

import dataclasses
import functools
import random

from benchmarks.archive_generate import DEPARTMENTS
from sandbox import catalog, server, site, world


def scaled_specs(departments: int) -> tuple:
    specs = []
    for spec in catalog.SITES:
        if spec.status == "ok" and departments:
            owner = spec.owner
            prefix = owner.name.removesuffix("人民政府").removesuffix("管委会")
            taken = {b.name for b in spec.bodies}
            extra = [catalog.BodySpec(prefix + d, "department", owner.code) for d in DEPARTMENTS
                     if d != "人民政府" and prefix + d not in taken][:departments]
            spec = dataclasses.replace(spec, bodies=(*spec.bodies, *extra))
        specs.append(spec)
    return tuple(specs)


class _HtmlOnlyRandom(random.Random):
    """The report's format draw answers "html" (consuming the same random number,
    so everything else in the world is drawn as without it)."""

    def choices(self, population, weights=None, **kwargs):
        picked = super().choices(population, weights, **kwargs)
        return ["html"] if tuple(population) == ("html", "pdf", "docx") else picked


def build(departments: int, seed: int = 0, html_only: bool = False) -> world.World:
    original, original_rng = catalog.SITES, world.rng_for
    catalog.SITES = scaled_specs(departments)
    if html_only:
        world.rng_for = lambda s, *parts: _HtmlOnlyRandom(":".join(map(str, (s, *parts))))
    try:
        return world.build_world(seed, slow_seconds=0)
    finally:
        catalog.SITES, world.rng_for = original, original_rng


def _memoise_site_apps() -> None:
    if getattr(site.SiteApp.handle, "memoised", False):
        return
    handle = site.SiteApp.handle

    @functools.wraps(handle)
    def cached(self, request):
        key = (self.site.slug, request.method, request.path, tuple(sorted(request.query.items())), request.body,
               request.headers.get("if-none-match"), request.headers.get("if-modified-since"))
        memo = self.__dict__.setdefault("_bench_memo", {})
        if key not in memo:
            memo[key] = handle(self, request)
        return dataclasses.replace(memo[key]) if dataclasses.is_dataclass(memo[key]) else memo[key]

    cached.memoised = True
    site.SiteApp.handle = cached


def start(departments: int, seed: int = 0, html_only: bool = False):
    _memoise_site_apps()
    return server.start(world=build(departments, seed, html_only))


def main() -> None:
    """Serve the benchmark web in this process until stdin closes or SIGTERM: the
    crawl benchmark runs it apart from itself, so the web has its own process (and
    core), as a real portal would. Writes the registry to --registry, then prints
    one JSON line (`{"ready": true, ...}`) on stdout."""
    import argparse
    import json
    import signal
    import sys
    import threading

    import yaml

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--html-only", action="store_true", help="every report an HTML page")
    args = parser.parse_args()
    handle = start(args.departments, args.seed, args.html_only)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with open(args.registry, "w", encoding="utf-8") as f:
            yaml.safe_dump({"sites": world.registry_entries(handle)}, f, allow_unicode=True)
        provinces = sorted({s.province.slug for s in handle.world.sites})
        expected = {p: len(world.expected_reports(handle.world, p)) for p in provinces}
        print(json.dumps({"ready": True, "sites": len(handle.world.sites), "bodies": len(handle.world.bodies),
                          "expected": expected, "portals": [s.base_url + "/" for s in handle.world.sites],
                          "report_urls": [r.url for r in handle.world.reports if r.expected]}), flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    finally:
        handle.stop()


if __name__ == "__main__":
    main()
