"""Multi-node crawl: two real scrapyd servers on loopback crawl the sandbox web.

`nianbao deploy` uploads the egg to both, `nianbao crawl --scrapyd` schedules one
job per site across them (each writing its own shard) and merges the shards;
the merged archive must equal a single-node crawl of the same web: same
reports, cells, checks, permalinks and snapshot bytes (fetch times and
crawl-run rows aside). One province, slow pages off: ~1 minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from sandbox import server, world
from tests.crawl_support import FAST

ROOT = Path(__file__).resolve().parents[1]
PROVINCE = "henan"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_scrapyd(home: Path, env: dict) -> tuple[subprocess.Popen, str]:
    """A real scrapyd: own config (loopback, free port, its own eggs/logs/dbs), 2 job slots."""
    home.mkdir(parents=True)
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\n"
        "max_proc = 2\npoll_interval = 0.5\n", encoding="utf-8")
    log = open(home / "scrapyd.out", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "daemonstatus.json", timeout=2) as r:
                if json.load(r)["status"] == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"scrapyd did not start: {(home / 'scrapyd.out').read_text()[-2000:]}")


def nianbao(*args, env=None, timeout=170) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def q(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def archive_state(db: Path) -> dict:
    """What two crawls of the same web must agree on (not fetch times, not crawl-run rows)."""
    return {
        "reports": q(db, "SELECT id, body_id, year, title, organization, source_url, snapshot_id, record_sha256,"
                         " check_status, checks_passed, checks_failed, checks_not_checkable FROM reports ORDER BY id"),
        "cells": q(db, "SELECT report_id, table_name, row_key, column_key, value, raw, unit FROM cells"
                       " ORDER BY report_id, table_name, row_key, column_key"),
        "checks": q(db, "SELECT id, status, left_value, right_value FROM checks ORDER BY id"),
        "sections": q(db, "SELECT id, text FROM sections ORDER BY id"),
        "snapshots": q(db, "SELECT id, url, sha256 FROM snapshots ORDER BY id"),
        "blobs": q(db, "SELECT sha256 FROM blobs ORDER BY sha256"),
        "totals": q(db, "SELECT * FROM province_year_outcomes ORDER BY id"),
        "statuses": q(db, "SELECT site, status, reports FROM site_status ORDER BY site"),
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The sandbox, its registry, two scrapyd servers, and a single-node crawl to compare with."""
    d = tmp_path_factory.mktemp("scale")
    sandbox = server.start(seed=0, slow_seconds=0)
    registry = d / "registry.yml"
    registry.write_text(yaml.safe_dump({"sites": world.registry_entries(sandbox)}, allow_unicode=True),
                        encoding="utf-8")
    env = {**os.environ, "NIANBAO_EGG_CACHE": str(d / "egg-cache"), "PYTHONPATH": ""}
    servers = []
    try:
        servers = [start_scrapyd(d / f"scrapyd{i}", env) for i in (1, 2)]
        single = nianbao("crawl", "--province", PROVINCE, "--registry", registry, "--db", d / "single.db",
                         "--progress", "0", *FAST)
        assert single.returncode == 0, single.stderr[-3000:]
        yield {"dir": d, "sandbox": sandbox, "registry": registry, "env": env,
               "urls": [url for _, url in servers], "single": d / "single.db"}
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)
        sandbox.stop()


@pytest.fixture(scope="module")
def multi(cluster):
    """Deploy to both servers, crawl the province across them, merge."""
    urls = ",".join(cluster["urls"])
    deployed = nianbao("deploy", "--scrapyd", urls, env=cluster["env"], timeout=120)
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    d = cluster["dir"]
    started = time.time()
    crawled = nianbao("crawl", "--scrapyd", urls, "--province", PROVINCE, "--registry", cluster["registry"],
                      "--db", d / "merged.db", "--shards", d / "shards", "--progress", "1", *FAST,
                      env=cluster["env"])
    return {"deploy": deployed, "crawl": crawled, "seconds": time.time() - started, "db": d / "merged.db",
            "shards": d / "shards"}


def test_deploy_puts_the_egg_on_every_server(cluster, multi):
    assert multi["deploy"].stdout.count("deployed nianbao") == 2, multi["deploy"].stdout
    for url in cluster["urls"]:
        with urllib.request.urlopen(url + "listspiders.json?project=nianbao") as r:
            assert json.load(r)["spiders"] == ["reports"]


def test_jobs_run_on_both_servers_one_shard_per_site(cluster, multi):
    proc = multi["crawl"]
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    sites = sorted(s.slug for s in cluster["sandbox"].world.sites if s.province.slug == PROVINCE)
    scheduled = [line for line in proc.stderr.splitlines() if line.startswith("scheduled ")]
    assert len(scheduled) == len(sites)
    for url in cluster["urls"]:  # dealt round-robin: each server ran half the jobs
        assert sum(f" on {url} " in line for line in scheduled) == len(sites) // 2
    assert "[scrapyd henan] jobs" in proc.stderr  # live progress while the jobs run
    shards = sorted(p.name for p in multi["shards"].glob("*.db"))
    assert shards == sorted(f"{PROVINCE}-{slug}.db" for slug in sites)
    for slug in sites:  # a shard holds fetches of its own site only: no two jobs crawled one site
        assert q(multi["shards"] / f"{PROVINCE}-{slug}.db", "SELECT DISTINCT site FROM snapshots") == [(slug,)]
    # The jobs ran the uploaded egg, unpacked (its data files are read by path).
    unpacked = list((cluster["dir"] / "egg-cache").glob("*/crawler/registry.yml"))
    assert len(unpacked) == 1


def test_merged_archive_equals_single_node_crawl(cluster, multi):
    assert multi["crawl"].returncode == 0
    single, merged = archive_state(cluster["single"]), archive_state(multi["db"])
    expected = {r["source"] for r in world.expected_reports(cluster["sandbox"].world, PROVINCE)}
    assert {row[5] for row in merged["reports"]} == expected
    assert len(merged["cells"]) > 10_000
    for key in single:
        assert merged[key] == single[key], key
    # Merging the shards again changes nothing.
    before = archive_state(multi["db"])
    again = nianbao("merge", multi["shards"], "--db", multi["db"])
    assert again.returncode == 0, again.stderr
    assert ": 0 new reports, 0 replaced" in again.stdout
    assert archive_state(multi["db"]) == before


def test_unreachable_or_undeployed_scrapyd_is_one_line_and_writes_nothing(cluster, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/"
    cases = [
        ("crawl", "--scrapyd", f"{cluster['urls'][0]},{dead}", "--province", PROVINCE, "--registry",
         cluster["registry"], "--db", tmp_path / "x.db", "--shards", tmp_path / "shards"),
        ("deploy", "--scrapyd", dead),
        ("crawl", "--scrapyd", "ftp://nowhere", "--province", PROVINCE, "--db", tmp_path / "x.db"),
    ]
    for args in cases:
        proc = nianbao(*args, env=cluster["env"], timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"nianbao {args[0]}: "), proc.stderr
    assert "cannot reach scrapyd at " + dead in nianbao(*cases[1], env=cluster["env"]).stderr
    assert list(tmp_path.iterdir()) == []  # no archive, no shard folder


def test_server_without_the_project_is_refused(cluster, tmp_path):
    proc, url = start_scrapyd(tmp_path / "fresh", cluster["env"])
    try:
        out = nianbao("crawl", "--scrapyd", url, "--province", PROVINCE, "--registry", cluster["registry"],
                      "--db", tmp_path / "x.db", env=cluster["env"], timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert out.returncode == 2
    assert f"run: nianbao deploy --scrapyd {url}" in out.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_province_found_from_its_portal_is_partitioned_over_the_nodes(cluster, multi, tmp_path):
    """广东 under host names, only its portal registered: the discovery job finds the sites,
    the crawl jobs partition them, and the merged archive holds every report and site."""
    from tests.test_crawl_discovery import SITES

    sandbox = server.start(seed=3, slow_seconds=0, hosted=True)
    try:
        entries = [e for e in world.registry_entries(sandbox) if e["province"] == "guangdong"]
        registry = tmp_path / "registry.yml"
        registry.write_text(yaml.safe_dump({"sites": entries, "resolve": sandbox.world.host_map()},
                                           allow_unicode=True), encoding="utf-8")
        db = tmp_path / "merged.db"
        proc = nianbao("crawl", "--scrapyd", ",".join(cluster["urls"]), "--province", "广东", "--registry", registry,
                       "--db", db, "--shards", tmp_path / "shards", "--progress", "0", *FAST,
                       env=cluster["env"], timeout=400)
        assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
        assert "discovery: 13 sites of guangdong (12 found)" in proc.stderr
        expected = {r["source"] for r in world.expected_reports(sandbox.world, "guangdong")}
        assert {u for (u,) in q(db, "SELECT source_url FROM reports")} == expected
        assert q(db, "SELECT slug, host, code, level, found, hop, placed_by, status, reason FROM sites"
                     " ORDER BY slug") == SITES
        # no host was crawled by two jobs: every snapshot's site is in exactly one shard
        owners: dict[str, set] = {}
        for shard in (tmp_path / "shards").glob("*.db"):
            for (site,) in q(shard, "SELECT DISTINCT site FROM snapshots"):
                owners.setdefault(site, set()).add(shard.name)
        assert owners and all(len(v) == 1 for v in owners.values())
    finally:
        sandbox.stop()
