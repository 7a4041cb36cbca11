"""`nianbao parse` as a user runs it: JSON lines out, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
KEYS = ["source", "title", "organization", "year", "published", "format", "sections", "tables", "checks", "problems"]


def nianbao(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_parse_all_seeds_prints_one_record_per_file():
    proc = nianbao("parse", *sorted(SEEDS.glob("*.txt")))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [list(r) for r in records] == [KEYS] * 5
    assert [r["year"] for r in records] == [2020, 2021, 2021, 2020, 2019]
    assert records[0]["tables"]["applications"]["new_received"]["total"] == {"value": 4, "raw": "4"}
    assert proc.stderr == ""


def test_bad_inputs_fail_one_line_each_and_good_files_still_parse(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (tmp_path / "folder").mkdir()
    with open(tmp_path / "huge.txt", "wb") as f:
        f.truncate(51 * 1024 * 1024)
    good = SEEDS / "001_752a671dabfd990e.txt"
    args = ["empty.txt", "junk.bin", "photo.png", "folder", "missing.txt", "huge.txt", str(good)]
    proc = nianbao("parse", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == 1 and json.loads(proc.stdout)["year"] == 2021
    assert proc.stderr.splitlines() == [
        "nianbao parse: empty.txt: empty file",
        "nianbao parse: junk.bin: binary data of an unknown format",
        "nianbao parse: photo.png: an unreadable image (UnidentifiedImageError)",
        "nianbao parse: folder: is a directory",
        "nianbao parse: missing.txt: no such file",
        "nianbao parse: huge.txt: 53 MB is over the 50 MB limit",
    ]
    assert "Traceback" not in proc.stderr


def test_a_document_that_is_not_a_report_names_what_is_missing(tmp_path):
    news = tmp_path / "news.txt"
    news.write_text("关于做好2021年政府信息公开工作年度报告编制工作的通知\n各单位：请于1月31日前发布年报。", encoding="utf-8")
    proc = nianbao("parse", news)
    record = json.loads(proc.stdout)
    assert record["tables"] == {} and record["checks"] == []
    assert "sections: no part headings (一、总体情况 …) found; not a report?" in record["problems"]
    assert "applications: table not found" in record["problems"]
