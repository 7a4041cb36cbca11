"""A bigger sandbox web for crawl benchmarks: the same 14 sites, each ok site hosting
`departments` more bodies (郑州市 + 教育局 …, ~9 reports each), served from memory.

The sandbox renders pages on demand; a benchmark of the crawler must not
measure the sandbox, so answers are memoised per request (a real portal
answers from its cache too) and the benchmark crawls once, untimed, to warm them.
"""

from __future__ import annotations

import dataclasses
import functools

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


def build(departments: int, seed: int = 0) -> world.World:
    original = catalog.SITES
    catalog.SITES = scaled_specs(departments)
    try:
        return world.build_world(seed, slow_seconds=0)
    finally:
        catalog.SITES = original


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


def start(departments: int, seed: int = 0):
    _memoise_site_apps()
    return server.start(world=build(departments, seed))
