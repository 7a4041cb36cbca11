"""Every CLI command given bad input: a missing file, junk bytes, an empty file, a folder
where a file belongs, an SQLite file that is not an archive, an archive of a newer
schema, an unknown province, an unwritable path, a busy port.

Each must exit non-zero with one line on stderr naming the problem, and the good
archive the calls point at must be unchanged afterwards.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.server import _can_bind_alias  # the sandbox's own test of its 127.0.1.N addresses

from .common import ROOT


@dataclass
class Case:
    command: str
    label: str
    argv: list[str]
    returncode: int | None = None
    stderr: str = ""

    @property
    def one_line(self) -> bool:
        lines = self.stderr.strip().splitlines()
        return len(lines) == 1 and lines[0].startswith(f"nianbao {self.command}:") and "Traceback" not in self.stderr

    @property
    def held(self) -> bool:
        return self.returncode not in (0, None) and self.one_line


def make_inputs(d: Path) -> dict[str, Path]:
    from archive.store import open_archive
    from tests.archive_fixtures import build_demo_archive

    files = {"good": d / "good.db", "junk": d / "junk.bin", "empty": d / "empty.pdf", "folder": d / "folder",
             "other_sqlite": d / "other.sqlite", "newer": d / "newer.db", "missing": d / "missing.db",
             "bad_yaml": d / "bad.yml"}
    build_demo_archive(files["good"])
    db = open_archive(files["good"])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    files["junk"].write_bytes(bytes(range(256)) * 8)
    files["empty"].write_bytes(b"")
    files["folder"].mkdir()
    conn = sqlite3.connect(files["other_sqlite"])
    conn.execute("CREATE TABLE reports (id TEXT)")  # a table name in common, still not an archive
    conn.commit()
    conn.close()
    db = open_archive(files["newer"])
    db.conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', '2099-01-01T00:00:00Z')")
    db.conn.close()
    files["bad_yaml"].write_text("sites: [\n  - slug: x\n oops", encoding="utf-8")
    return files


def cases(f: dict[str, Path], busy_port: int) -> list[Case]:
    good, junk, missing = str(f["good"]), str(f["junk"]), str(f["missing"])
    other, folder, newer, empty = str(f["other_sqlite"]), str(f["folder"]), str(f["newer"]), str(f["empty"])
    return [
        Case("parse", "missing file", ["parse", missing]),
        Case("parse", "junk bytes", ["parse", junk]),
        Case("parse", "empty file", ["parse", empty]),
        Case("parse", "a folder", ["parse", folder]),
        Case("ingest", "missing file", ["ingest", missing, "--db", good]),
        Case("ingest", "junk bytes into a good archive", ["ingest", junk, "--db", good]),
        Case("ingest", "empty file into a good archive", ["ingest", empty, "--db", good]),
        Case("ingest", "--db junk bytes", ["ingest", empty, "--db", junk]),
        Case("ingest", "--db a non-archive SQLite file", ["ingest", empty, "--db", other]),
        Case("ingest", "--db a folder", ["ingest", empty, "--db", folder]),
        Case("ingest", "--db an archive of a newer schema", ["ingest", empty, "--db", newer]),
        Case("serve", "--db missing", ["serve", "--db", missing]),
        Case("serve", "--db junk bytes", ["serve", "--db", junk]),
        Case("serve", "--db a non-archive SQLite file", ["serve", "--db", other]),
        Case("serve", "--db a folder", ["serve", "--db", folder]),
        Case("crawl", "unknown province", ["crawl", "--province", "火星", "--db", good]),
        Case("crawl", "--db junk bytes", ["crawl", "--province", "henan", "--db", junk]),
        Case("crawl", "--db a non-archive SQLite file", ["crawl", "--province", "henan", "--db", other]),
        Case("crawl", "--db an archive of a newer schema", ["crawl", "--province", "henan", "--db", newer]),
        Case("crawl", "--registry missing", ["crawl", "--province", "henan", "--registry", missing, "--db", good]),
        Case("crawl", "--registry junk bytes", ["crawl", "--province", "henan", "--registry", junk, "--db", good]),
        Case("crawl", "--registry broken YAML",
             ["crawl", "--province", "henan", "--registry", str(f["bad_yaml"]), "--db", good]),
        Case("publish", "--db missing", ["publish", "--db", missing]),
        Case("publish", "--db junk bytes", ["publish", "--db", junk]),
        Case("publish", "--db a non-archive SQLite file", ["publish", "--db", other]),
        Case("publish", "--db a folder", ["publish", "--db", folder]),
        Case("verify", "--db missing", ["verify", "--db", missing]),
        Case("verify", "--db junk bytes", ["verify", "--db", junk]),
        Case("verify", "--db a non-archive SQLite file", ["verify", "--db", other]),
        Case("verify", "--db a folder", ["verify", "--db", folder]),
        Case("sandbox", "port in use", ["sandbox", "--port", str(busy_port)]),
        Case("sandbox", "--registry in a missing folder", ["sandbox", "--registry", f"{missing}/x/registry.yml"]),
        Case("merge", "missing shard", ["merge", missing, "--db", str(f["folder"] / "merged.db")]),
        Case("merge", "junk-bytes shard", ["merge", junk, "--db", str(f["folder"] / "merged.db")]),
        Case("merge", "a non-archive SQLite shard", ["merge", other, "--db", str(f["folder"] / "merged.db")]),
        Case("merge", "--db a non-archive SQLite file", ["merge", good, "--db", other]),
        Case("crawl", "--resolve without an address", ["crawl", "--province", "henan", "--db", good,
                                                        "--resolve", "www.henan.gov.cn"]),
        Case("sites", "--db missing", ["sites", "export", "--db", missing, "--province", "henan"]),
        Case("sites", "--db junk bytes", ["sites", "export", "--db", junk, "--province", "henan"]),
        Case("sites", "--db a non-archive SQLite file", ["sites", "export", "--db", other, "--province", "henan"]),
        Case("sites", "--db a folder", ["sites", "export", "--db", folder, "--province", "henan"]),
        Case("sites", "unknown province", ["sites", "export", "--db", good, "--province", "火星"]),
        Case("sites", "no sites crawled", ["sites", "export", "--db", good, "--province", "henan"]),
        Case("deploy", "no scrapyd and no egg file", ["deploy"]),
        Case("deploy", "--egg-out a folder", ["deploy", "--egg-out", folder]),
        Case("demo", "--dir is a file", ["demo", "--dir", junk]),
        Case("demo", "unknown province", ["demo", "--province", "火星", "--dir", str(f["folder"] / "demo"),
                                          "--no-serve"]),
    ]


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def run_bad_inputs(workdir: Path) -> dict:
    f = make_inputs(workdir)
    before = dump(f["good"])
    with socket.socket() as busy:  # a port something else holds, on the sandbox's first address
        busy.bind(("127.0.1.1", 0) if _can_bind_alias() else ("127.0.0.1", 0))
        busy.listen()
        todo = cases(f, busy.getsockname()[1])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for case in todo:
            done = subprocess.run([sys.executable, "-m", "nianbao", *case.argv], capture_output=True, text=True,
                                  timeout=60, cwd=workdir, env=env)
            case.returncode, case.stderr = done.returncode, done.stderr
    return {"cases": todo, "good_archive_unchanged": dump(f["good"]) == before,
            "missing_created": f["missing"].exists() or (f["folder"] / "merged.db").exists()}
