"""p50/p95 latency of the site's pages on an archive (in-process datasette.client,
so the figures are Datasette + SQLite time without network).

    .venv/bin/python -m benchmarks.archive_latency --db /tmp/bench.db --requests 40
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

from archive.site import make_datasette

SEARCH_TERMS = ("教育局", "沾益区", "营商环境", "乡村振兴", "人民政府办公室", "市场监督")  # trigram index
SHORT_TERMS = ("益", "公开", "沾益", "财政")  # 1-2 characters: LIKE scan


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
    conn.close()
    db = path.stem
    return {
        "faceted table (province filter, 5 facets)": lambda: (
            f"/{db}/reports?province={_q(rng.choice(provinces))}"
        ),
        "faceted table (unfiltered, 5 facets)": lambda: f"/{db}/reports",
        "FTS canned search (3+ chars)": lambda: f"/{db}/search.json?q={_q(rng.choice(SEARCH_TERMS))}",
        "FTS table search box (3+ chars)": lambda: f"/{db}/reports?_search={_q(rng.choice(SEARCH_TERMS))}",
        "short search fallback (1-2 chars)": lambda: f"/{db}/search.json?q={_q(rng.choice(SHORT_TERMS))}",
        "report page": lambda: f"/{db}/reports/{rng.choice(sample)}",
        "cell permalink": lambda: f"/{db}/cells/{rng.choice(sample)},applications,granted,total",
        "yearly totals query": lambda: f"/{db}/yearly_totals.json?province={_q(rng.choice(provinces))}",
        "yearly totals, all provinces": lambda: f"/{db}/yearly_totals.json?province=",
    }


async def measure(ds, make_path, requests: int) -> list[float]:
    for _ in range(3):  # warm the page cache and Datasette's schema caches
        await ds.client.get(make_path())
    times = []
    for _ in range(requests):
        path = make_path()
        start = time.perf_counter()
        response = await ds.client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return times


def run(path: Path, requests: int, seed: int = 7) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(seed)
    ds = make_datasette(path)
    kinds = page_kinds(path, rng)
    out = {}

    async def all_kinds():
        await ds.invoke_startup()
        for name, make_path in kinds.items():
            times = sorted(await measure(ds, make_path, requests))
            p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
            out[name] = (statistics.median(times), p95, times[-1])

    asyncio.run(all_kinds())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    print(f"| page | p50 ms | p95 ms | max ms |  ({args.db}, {args.requests} requests each)")
    print("|---|---:|---:|---:|")
    for name, (p50, p95, worst) in run(args.db, args.requests).items():
        print(f"| {name} | {p50:.0f} | {p95:.0f} | {worst:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
