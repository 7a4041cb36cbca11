"""p50/p95 latency of the site's pages on an archive (in-process datasette.client,
so the figures are Datasette + SQLite time without network).

    .venv/bin/python -m benchmarks.archive_latency --db /tmp/bench.db --requests 40
    .venv/bin/python -m benchmarks.archive_latency --db /tmp/bench.db --requests 40 --no-cache
    (an older checkout, same file:) .venv/bin/python /path/to/benchmarks/archive_latency.py \
        --db /tmp/bench.db --copy /tmp/bench.db.published/<id>/bench.db

What a visitor meets, per page kind:
- start: `publish` (the copy nianbao serve answers from, with its inspect data:
  nianbao/site/publish.py) and what `nianbao serve` does before it listens
  (nianbao.site.app.warm_site: the default pages once);
- first: the first request of that kind after start (no warm-up requests);
- p50/p95/max: `--requests` requests with random parameters, the facet cache emptied
  and the whole-response cache (responses.py) emptied before each, i.e. a page nobody
  asked before;
- p95 repeat: the same requests asked a second time.
--no-cache measures plain Datasette on the file (no inspect data, plain column facets,
no start-up work: the first request pays Datasette's table counts), then 3 warm-up requests.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
import urllib.parse
from pathlib import Path

from nianbao.site import facets, responses
from nianbao.site.app import make_datasette, warm_site
from nianbao.site.publish import publish

SEARCH_TERMS = ("教育局", "沾益区", "营商环境", "乡村振兴", "人民政府办公室", "市场监督")  # trigram index
# 1-2 characters: the short-search index (LIKE before); issue 13 names 复议, 纠正, 郑州.
# 公开 is in every title, 财政 in one body in 34: more matches than a page counts (site/search.py).
SHORT_TERMS = ("益", "公开", "沾益", "财政", "复议", "纠正", "郑州")
COMMON_TERMS = ("政府信息公开", "年度报告", "人民政府")  # 3+ characters in most titles


def _q(text: str) -> str:
    return urllib.parse.quote(text)


def page_kinds(path: Path, rng: random.Random) -> dict:
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    provinces = [r[0] for r in conn.execute("SELECT DISTINCT province FROM province_year_outcomes")]
    n = conn.execute("SELECT max(rowid) FROM reports").fetchone()[0]
    sample = [
        conn.execute("SELECT id FROM reports WHERE rowid = ?", (rng.randint(1, n),)).fetchone()[0]
        for _ in range(200)
    ]
    codes = [r[0] for r in conn.execute("SELECT DISTINCT province_code FROM province_year_outcomes")]
    conn.close()
    db = path.stem
    return {
        "faceted table (province filter, 5 facets)": lambda: (
            f"/{db}/reports?province={_q(rng.choice(provinces))}"
        ),
        "faceted table (unfiltered, 5 facets)": lambda: f"/{db}/reports",
        "cells table (unfiltered, 1 facet)": lambda: f"/{db}/cells",
        "database page (table counts)": lambda: f"/{db}",
        "FTS canned search (3+ chars)": lambda: f"/{db}/search.json?q={_q(rng.choice(SEARCH_TERMS))}",
        "FTS table search box (3+ chars)": lambda: f"/{db}/reports?_search={_q(rng.choice(SEARCH_TERMS))}",
        "table search box, 1-2 chars": lambda: f"/{db}/reports?_search={_q(rng.choice(SHORT_TERMS))}",
        "table search box, common words (3+ chars)": lambda: f"/{db}/reports?_search={_q(rng.choice(COMMON_TERMS))}",
        "sections search box, 1-2 chars": lambda: f"/{db}/sections?_search={_q(rng.choice(SHORT_TERMS))}",
        "short search fallback (1-2 chars)": lambda: f"/{db}/search.json?q={_q(rng.choice(SHORT_TERMS))}",
        "report page": lambda: f"/{db}/reports/{rng.choice(sample)}",
        "cell permalink": lambda: f"/{db}/cells/{rng.choice(sample)},applications,granted,total",
        "yearly totals query": lambda: f"/{db}/yearly_totals.json?province={_q(rng.choice(provinces))}",
        "yearly totals, all provinces": lambda: f"/{db}/yearly_totals.json?province=",
        # issue 13's pages: a body over the years, a province's coverage, the citation's pinned page
        "body page (years side by side)": lambda: f"/{db}/bodies/{rng.choice(sample).rsplit('-', 1)[0]}",
        "province page (coverage, charts, bodies)": lambda: f"/-/province/{rng.choice(codes)}",
        "coverage view, one province": lambda: f"/{db}/coverage.json?province_code={rng.choice(codes)}",
    }


async def timed(ds, path: str) -> float:
    start = time.perf_counter()
    response = await ds.client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return elapsed


def p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]


async def measure(ds, make_path, requests: int, cache: bool) -> dict[str, float]:
    first = await timed(ds, make_path())
    if not cache:
        for _ in range(2):  # warm the page cache and Datasette's schema caches
            await timed(ds, make_path())
    paths = [make_path() for _ in range(requests)]
    times, repeat = [], []
    for path in paths:
        facets.clear_cache()  # a query nobody asked before
        responses.clear_caches(ds)
        times.append(await timed(ds, path))
        if cache:
            repeat.append(await timed(ds, path))  # the same request again
    times.sort()
    return {
        "first": first,
        "p50": statistics.median(times),
        "p95": p95(times),
        "max": times[-1],
        "p95_repeat": p95(repeat) if repeat else float("nan"),
    }


def run(path: Path, requests: int, seed: int = 7, cache: bool = True,
        copy: Path | None = None) -> dict[str, dict[str, float]]:
    """{page kind: {first, p50, p95, max, p95_repeat}} plus "start": {step: ms}. `copy`: a
    copy `publish` made before (another code version's run on the same file) is served
    as it is, without publishing again."""
    rng = random.Random(seed)
    path = Path(path)
    kinds = page_kinds(path, rng)
    out: dict[str, dict[str, float]] = {}

    async def all_kinds():
        steps = {}
        if cache:
            start = time.perf_counter()
            served = copy or publish(path)
            steps["publish"] = time.perf_counter() - start
            start = time.perf_counter()
            ds = make_datasette(served)
            steps.update(await warm_site(ds))
        else:
            start = time.perf_counter()
            ds = make_datasette(path, plain=True)
            await ds.invoke_startup()
        out["start"] = {k: v * 1000 for k, v in steps.items()}
        out["start"]["serve total"] = (time.perf_counter() - start) * 1000
        for name, make_path in kinds.items():
            out[name] = await measure(ds, make_path, requests, cache)

    asyncio.run(all_kinds())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-cache", action="store_true", help="plain Datasette, no start-up work")
    parser.add_argument("--copy", type=Path, help="serve this published copy of --db (no publish)")
    args = parser.parse_args(argv)
    mode = "plain Datasette" if args.no_cache else "cache + warm start"
    print(f"({args.db}, {args.requests} requests each, {mode})")
    print("| page | first ms | p50 ms | p95 ms | max ms | p95 repeat ms |")
    print("|---|---:|---:|---:|---:|---:|")
    results = run(args.db, args.requests, cache=not args.no_cache, copy=args.copy)
    start = results.pop("start")
    for name, r in results.items():
        print(
            f"| {name} | {r['first']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f}"
            f" | {r['p95_repeat']:.0f} |",
            flush=True,
        )
    print("start before listening (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in start.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
