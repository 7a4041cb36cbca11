"""Shared pieces: a sandbox with a registry file, `nianbao crawl` in a subprocess, archive reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from sandbox import server, world
from tests.crawl_support import FAST, archive_state, archived_cells, q, record_cells  # noqa: F401  (re-exported to the reliability modules)

ROOT = Path(__file__).resolve().parents[2]
SEED = 7


def start_sandbox(workdir: Path, faults=None, *, province: str | None = None, sites: tuple[str, ...] = ()):
    """A running sandbox and its registry file. PDF/DOCX are rendered up front (the cache is
    per process) so a crawl's timeouts measure faults, not the sandbox's first renders."""
    handle = server.start(seed=SEED, slow_seconds=0.05, faults=faults)
    from sandbox.site import rendered_file

    for r in handle.world.reports:
        if r.kind != "html" and (r.site.province.slug == province or r.site.slug in sites):
            rendered_file(r)
    registry = workdir / "registry.yml"
    registry.write_text(yaml.safe_dump({"sites": world.registry_entries(handle)}, allow_unicode=True),
                        encoding="utf-8")
    return handle, registry


def crawl_cmd(registry: Path, province: str, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nianbao", "crawl", "--province", province, "--registry", str(registry),
            "--db", str(db), "--progress", "0", *FAST, *extra]


def crawl(registry: Path, province: str, db: Path, *extra: str, timeout: float = 240):
    return subprocess.run(crawl_cmd(registry, province, db, *extra), capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def duplicates(db: Path) -> int:
    """Reports sharing a source URL, and snapshots sharing (URL, bytes): 0 in a sound archive."""
    reports = q(db, "SELECT count(*) - count(DISTINCT source_url) FROM reports")[0][0]
    snaps = q(db, "SELECT count(*) - count(DISTINCT url || ' ' || sha256) FROM snapshots")[0][0]
    return reports + snaps


def archived_sources(db: Path) -> set[str]:
    return {url for (url,) in q(db, "SELECT source_url FROM reports")}


def wrong_cells(db: Path, records: list[dict]) -> list[str]:
    """Archived reports whose cells differ from the sandbox's ground truth (their sources)."""
    wrong = []
    for rec in records:
        row = q(db, "SELECT id FROM reports WHERE source_url = ?", rec["source"])
        if not row:
            continue
        got = archived_cells(db, row[0][0])
        want = record_cells(rec)
        if got != want:
            wrong.append(rec["source"])
    return wrong


def fetch_log(db: Path, run_id: str | None = None) -> dict[str, dict]:
    """url -> {outcome, reason, attempts, status} of one run (the latest by default)."""
    if run_id is None:
        run_id = q(db, "SELECT id FROM crawl_runs ORDER BY started_at DESC LIMIT 1")[0][0]
    rows = q(db, "SELECT url, outcome, reason, attempts, status FROM fetch_log WHERE run_id = ?", run_id)
    return {u: {"outcome": o, "reason": r, "attempts": a, "status": s} for u, o, r, a, s in rows}
