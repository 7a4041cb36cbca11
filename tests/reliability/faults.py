"""The fault matrix: every sandbox fault planted on 河南's four sites, crawled twice.

Crawl 1 meets every fault. Transport faults end in fetch_log as retried (a
burst that passes), failed or skipped (one that persists); content faults
(hostile markup, wrong type) end as archived reports with the true cells.
Crawl 2, with the transport faults gone and one page's charset flipped,
must archive everything: what crawl 1 could not get is recovered, nothing
archived before changes except the re-encoded page's new snapshot.
A third crawl, of 云南 under seeded random faults, must archive everything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sandbox import world
from sandbox.faults import FaultTable

from .common import (
    SEED,
    archive_state,
    archived_sources,
    crawl,
    duplicates,
    fetch_log,
    q,
    start_sandbox,
    wrong_cells,
)

PROVINCE = "henan"
# Timeouts must be short to meet the timeout and slow-drip faults within the test budget.
SETTINGS = ("-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=2", "-s", "DOWNLOAD_MAXSIZE=2000000")
TRANSPORT = ("status", "timeout", "drip", "reset", "truncate", "redirect_loop", "oversize", "slow")


@dataclass
class Plant:
    """One planted fault: what, where, and how a sound crawl must end it."""
    name: str
    kind: str
    site: str
    target: str            # "report:html", "report:pdf", "report:2021" (a tabled HTML report) or a path
    expect: str            # retried | failed | skipped | archived | bounded
    params: dict = field(default_factory=dict)
    # filled in by the run
    path: str = ""
    url: str = ""
    fired: int = 0
    logged: dict | None = None
    archived_first: bool | None = None
    archived_second: bool | None = None
    held: bool = False
    note: str = ""


def plan() -> list[Plant]:
    return [
        Plant("503 burst on a report column", "status", "henan", "/zwgk/ndbg/index.html", "retried",
              {"status": 503, "times": 2}),
        Plant("502 burst on a report", "status", "henan-luoyang", "report:html", "retried",
              {"status": 502, "times": 2}),
        Plant("500 that never ends", "status", "henan", "report:html", "failed", {"status": 500}),
        Plant("timeout (no byte for 8 s)", "timeout", "henan-zhengzhou", "report:html", "retried",
              {"seconds": 8, "times": 1}),
        Plant("slow-drip past the timeout", "drip", "henan-zhumadian", "report:2021", "retried",
              {"seconds": 0.1, "times": 1}),
        Plant("slow answer (1 s)", "slow", "henan-zhengzhou", "report:html", "archived",
              {"seconds": 1.0, "times": 1}),
        Plant("connection reset, twice", "reset", "henan-luoyang", "report:html", "retried", {"times": 2}),
        Plant("connection reset, always", "reset", "henan-luoyang", "report:pdf", "failed"),
        Plant("truncated body", "truncate", "henan-zhengzhou", "report:pdf", "retried", {"times": 1}),
        Plant("redirect loop", "redirect_loop", "henan-zhengzhou", "report:html", "failed"),
        Plant("over the size limit (3 MB > 2 MB)", "oversize", "henan", "report:pdf", "skipped",
              {"size": 3_000_000}),
        Plant("HTML sent as application/octet-stream", "wrong_type", "henan", "/zwgk/bmndbg/index.html",
              "archived"),
        Plant("<script>/onerror payloads in title and cells", "xss", "henan", "report:2021", "archived"),
        Plant("malformed table (no </td></tr>, stray <table>)", "malformed_table", "henan-zhumadian",
              "report:2021", "archived"),
        Plant("endless calendar link trap", "calendar_trap", "henan", "*", "bounded"),
    ]


def _pick(w, plant: Plant, used: set[str]):
    """A distinct expected report of the plant's site matching its target (or None for a path)."""
    if not plant.target.startswith("report:"):
        return None
    want = plant.target.split(":")[1]
    site = w.site(plant.site)
    for r in site.reports:
        path = urlsplit(r.url).path
        if not r.expected or r.moved_from or path in used or path in site.slow_paths:
            continue
        if want == "2021" and not (r.kind == "html" and r.format == "2021"):
            continue
        if want in ("html", "pdf") and r.kind != want:
            continue
        used.add(path)
        return r
    raise LookupError(f"no report for {plant.name}")


def run_fault_matrix(workdir: Path) -> dict:
    faults = FaultTable(seed=3)
    plants = plan()
    # Rules first (the calendar trap is built into a site when the server starts), from a
    # world of the same seed: the same reports, by path.
    used: set[str] = set()  # paths
    rules = []
    same_world = world.build_world(SEED, slow_seconds=0.05)
    for p in plants:
        report = _pick(same_world, p, used)
        p.path = urlsplit(report.url).path if report else p.target
        rules.append(faults.add(p.site, p.path, p.kind, **p.params))
    handle, registry = start_sandbox(workdir, faults, province=PROVINCE)
    try:
        w = handle.world
        for p in plants:
            p.url = handle.url(p.site, p.path if p.path != "*" else "/")
        expected = world.expected_reports(w, PROVINCE)
        sources = {r["source"] for r in expected}

        db = workdir / "faults.db"
        first = crawl(registry, PROVINCE, db, *SETTINGS)
        log1 = fetch_log(db)
        archived1 = archived_sources(db)
        statuses1 = dict(q(db, "SELECT site, status FROM site_status"))
        calendar_requests = sum(1 for slug, _m, path, _s in list(handle.requests) if path.startswith("/calendar/"))
        for p, rule in zip(plants, rules, strict=True):
            p.fired = rule.fired
            p.logged = log1.get(p.url)
            p.archived_first = p.url in archived1 if p.url in sources else None
        before = archive_state(db)

        # Crawl 2: transport faults gone (the sites recovered), one report re-encoded GBK<->UTF-8.
        faults.rules[:] = [r for r in faults.rules if r.kind not in TRANSPORT]
        flipped = _pick(w, Plant("charset", "charset_flip", "henan-luoyang", "report:2021", "archived"), used)
        faults.add("henan-luoyang", urlsplit(flipped.url).path, "charset_flip")
        second = crawl(registry, PROVINCE, db, *SETTINGS)
        archived2 = archived_sources(db)
        after = archive_state(db)
        for p in plants:
            p.archived_second = p.url in archived2 if p.url in sources else None
            p.held, p.note = _judge(p, calendar_requests)

        from archive.verify import verify_archive

        flip_snaps = q(db, "SELECT id FROM snapshots WHERE url = ? ORDER BY fetched_at", flipped.url)
        old_reports = {r[0]: r for r in before["reports"]}
        changed = [r[0] for r in after["reports"] if r[0] in old_reports and r != old_reports[r[0]]]
        flip_id = q(db, "SELECT id, snapshot_id FROM reports WHERE source_url = ?", flipped.url)
        permanent = {p.url for p in plants if p.expect in ("failed", "skipped")}
        return {
            "plants": plants,
            "expected_reports": len(sources),
            "first": {"returncode": first.returncode, "stderr": first.stderr[-2000:], "archived": len(archived1),
                      "missing": sorted(sources - archived1), "unexpected": sorted(archived1 - sources),
                      "statuses": statuses1, "log_outcomes": dict(Counter(v["outcome"] for v in log1.values()))},
            "permanent": sorted(permanent),
            "calendar_requests": calendar_requests,
            "second": {"returncode": second.returncode, "stderr": second.stderr[-2000:], "archived": len(archived2),
                       "missing": sorted(sources - archived2), "unexpected": sorted(archived2 - sources),
                       "statuses": dict(q(db, "SELECT site, status FROM site_status WHERE run_id ="
                                              " (SELECT id FROM crawl_runs ORDER BY started_at DESC LIMIT 1)"))},
            "charset_flip": {"url": flipped.url, "snapshots": len(flip_snaps),
                             "report_points_at_new": bool(flip_id) and flip_id[0][1] == flip_snaps[-1][0],
                             "changed_reports": changed,
                             "lost_snapshots": sorted(set(before["snapshots"]) - set(after["snapshots"]))},
            "wrong_cells": wrong_cells(db, expected),
            "duplicates": duplicates(db),
            "verify": verify_archive(db),
            "db": db,
        }
    finally:
        handle.stop()


def _judge(p: Plant, calendar_requests: int) -> tuple[bool, str]:
    logged = p.logged or {}
    if p.expect == "bounded":
        return calendar_requests <= 10, f"{calendar_requests} calendar pages fetched"
    if p.fired == 0:
        return False, "the fault never fired"
    if p.expect in ("retried", "failed", "skipped"):
        ok = logged.get("outcome") == p.expect
        if p.archived_first is not None:  # a report: retried ones arrive now, the others on the next crawl
            ok = ok and (p.archived_first if p.expect == "retried" else p.archived_second)
        return ok, f"{logged.get('outcome', 'not logged')}: {logged.get('reason', '')}"
    ok = not logged and p.archived_first is not False and p.archived_second is not False
    return ok, "fetched and archived" if ok else f"unexpected: {logged}"


def run_random_faults(workdir: Path, rate: float = 0.12) -> dict:
    """云南 under seeded random faults (5xx, resets, truncation, slow, wrong type) on ~12 % of requests."""

    class Counting(FaultTable):
        def __init__(self, seed):
            super().__init__(seed)
            self.counts: Counter = Counter()

        def pick(self, site, path):
            fault = super().pick(site, path)
            if fault:
                self.counts[fault.kind if fault.kind != "status" else f"status {fault.status}"] += 1
            return fault

    faults = Counting(seed=3)
    faults.randomly(rate=rate)
    handle, registry = start_sandbox(workdir, faults, province="yunnan")
    try:
        db = workdir / "random.db"
        proc = crawl(registry, "yunnan", db, "-s", "RETRY_TIMES=4")
        expected = world.expected_reports(handle.world, "yunnan")
        sources = {r["source"] for r in expected}
        archived = archived_sources(db)
        planted = {s.slug: s.status for s in handle.world.sites if s.province.slug == "yunnan"}
        return {"returncode": proc.returncode, "stderr": proc.stderr[-2000:], "rate": rate,
                "faults": dict(faults.counts), "expected_reports": len(sources), "archived": len(archived),
                "missing": sorted(sources - archived), "unexpected": sorted(archived - sources),
                "statuses_as_planted": dict(q(db, "SELECT site, status FROM site_status")) == planted,
                "log_outcomes": dict(Counter(v["outcome"] for v in fetch_log(db).values())),
                "wrong_cells": wrong_cells(db, expected), "duplicates": duplicates(db)}
    finally:
        handle.stop()
