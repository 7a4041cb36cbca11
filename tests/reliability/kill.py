"""kill -9: of a crawl at seeded random points (then the same command again), and of a
process in the middle of large archive writes.

The crawl is killed when its archive holds a seeded random number of snapshots,
so each kill lands mid-crawl whatever the machine's speed.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .common import ROOT, archive_state, crawl, crawl_cmd, duplicates, q, start_sandbox

PROVINCE = "henan"


def _count(db: Path, table: str) -> int:
    try:
        return q(db, f"SELECT count(*) FROM {table}")[0][0]
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


def run_kill_crawl(workdir: Path, kills: int = 3, seed: int = 11) -> dict:
    handle, registry = start_sandbox(workdir, province=PROVINCE)
    try:
        baseline = workdir / "uninterrupted.db"
        base = crawl(registry, PROVINCE, baseline)
        total = _count(baseline, "snapshots")
        # one seeded random kill point in each of `kills` equal stretches of the crawl
        rng, stretch = random.Random(seed), max(1, (total - 5) // kills)
        points = [rng.randint(3 + k * stretch, 2 + (k + 1) * stretch) for k in range(kills)]
        db = workdir / "killed.db"
        killed = []
        for point in points:
            proc = subprocess.Popen(crawl_cmd(registry, PROVINCE, db), cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and _count(db, "snapshots") < point:
                time.sleep(0.05)
            finished_first = proc.poll() is not None
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
            killed.append({"at_snapshots": point, "snapshots": _count(db, "snapshots"),
                           "reports": _count(db, "reports"), "finished_first": finished_first})
        last = crawl(registry, PROVINCE, db)
        want, got = archive_state(baseline), archive_state(db)
        from archive.verify import verify_archive

        return {
            "kills": killed,
            "baseline_returncode": base.returncode,
            "returncode": last.returncode,
            "restarted_after_kill": "was killed" in last.stderr,
            "stderr": last.stderr[-1500:],
            "reports": len(got["reports"]),
            "expected_reports": len(want["reports"]),
            "lost": len(set(want["reports"]) - set(got["reports"])),
            "extra": len(set(got["reports"]) - set(want["reports"])),
            "cells_equal": got["cells"] == want["cells"],
            "snapshots_equal": got["snapshots"] == want["snapshots"],
            "reports_equal": got["reports"] == want["reports"],
            "duplicates": duplicates(db),
            "integrity": q(db, "PRAGMA integrity_check")[0][0],
            "verify": verify_archive(db),
            "unfinished_runs": q(db, "SELECT count(*) FROM crawl_runs WHERE finished_at IS NULL")[0][0],
        }
    finally:
        handle.stop()


# The writer: one transaction saves BODIES reports (~200 cells each) in one of two
# versions, alternating; a kill must leave every report on one version, whole.
WRITER = r"""
import sys
from archive.store import open_archive, save_report, transaction
from tests.archive_fixtures import make_record
db = open_archive(sys.argv[1])
bodies = int(sys.argv[2])
versions = [[make_record("2021", organization=f"测试{i:03d}县人民政府", seed=v) for i in range(bodies)]
            for v in (1, 2)]
n = 0
while True:
    with transaction(db):
        for record in versions[n % 2]:
            save_report(db, record, snapshot_id=None, url=record["source"])
    n += 1
    print(n, flush=True)
"""


CELLS = "SELECT table_name, row_key, column_key, value, raw FROM cells WHERE report_id = ? ORDER BY 1, 2, 3"


def _reference(workdir: Path, bodies: int) -> dict[str, tuple[int, list]]:
    """record_sha256 -> (version, cells) of every report of each version, written without interruption."""
    from archive.store import open_archive, save_report
    from tests.archive_fixtures import make_record

    out = {}
    for v in (1, 2):
        path = workdir / f"reference-{v}.db"
        db = open_archive(path)
        for i in range(bodies):
            record = make_record("2021", organization=f"测试{i:03d}县人民政府", seed=v)
            save_report(db, record, snapshot_id=None, url=record["source"])
        db.conn.close()
        for rid, sha in q(path, "SELECT id, record_sha256 FROM reports"):
            out[sha] = (v, q(path, CELLS, rid))
    return out


def run_kill_write(workdir: Path, kills: int = 5, seed: int = 5, bodies: int = 40) -> dict:
    reference = _reference(workdir, bodies)
    db = workdir / "writes.db"
    rng = random.Random(seed)
    results = []
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(bodies)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        proc.stdout.readline()  # one batch committed: the writer is in its loop
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        batches = int(out.split()[-1]) if out.split() else 1  # every batch the writer saw committed
        rows = q(db, "SELECT id, record_sha256 FROM reports")
        versions = {reference[sha][0] for _, sha in rows if sha in reference}
        half = [rid for rid, sha in rows if sha not in reference or q(db, CELLS, rid) != reference[sha][1]]
        results.append({"integrity": q(db, "PRAGMA integrity_check")[0][0], "reports": len(rows),
                        "versions": sorted(versions), "last_committed_version": 1 + (batches - 1) % 2,
                        "batches_committed": batches, "half_written": len(half)})
    from archive.verify import verify_archive

    return {"kills": results, "bodies": bodies, "verify": verify_archive(db)}
