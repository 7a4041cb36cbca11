"""A crawl meets reports published as Word 97 (.doc), WPS (.wps) and scanned
PDFs (the sandbox's `legacy_formats` for one site): each is archived with its
cells — .doc/.wps exactly, scans right or null and named in the problems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox import server, world
from tests.crawl_support import FAST, archived_cells, q, record_cells

pytest.importorskip("rapidocr_onnxruntime")

SITE = "fujian-xiamen"  # seed 7: one .doc, one .wps, two scans among its file reports
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    w = world.build_world(seed=7, slow_seconds=0.05, legacy_formats=(SITE,))
    handle = server.start(seed=7, slow_seconds=0.05, world=w)
    try:
        d = tmp_path_factory.mktemp("formats")
        entries = [e for e in world.registry_entries(handle) if e["slug"] == SITE]
        (d / "registry.yml").write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), encoding="utf-8")
        db = d / "archive.db"
        proc = subprocess.run([sys.executable, "-m", "nianbao", "crawl", "--province", "fujian", "--registry",
                               str(d / "registry.yml"), "--db", str(db), *FAST],
                              capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr[-2000:]
        yield w, db
    finally:
        handle.stop()


def test_doc_wps_and_scanned_reports_are_archived_with_their_cells(crawled):
    w, db = crawled
    site = next(s for s in w.sites if s.slug == SITE)
    legacy = [r for r in site.reports if r.expected and r.kind in ("doc", "wps", "scan")]
    assert sorted(r.kind for r in legacy) == ["doc", "scan", "scan", "wps"]
    scanned_cells = 0
    for report in legacy:
        row = q(db, "SELECT id, year, organization FROM reports WHERE source_url = ?", report.url)
        assert row, (report.kind, report.url)
        rid, year, org = row[0]
        want = report.record
        assert (year, org) == (want["year"], want["organization"])
        got = archived_cells(db, rid)
        problems = [p for (p,) in q(db, "SELECT problem FROM problems WHERE report_id = ?", rid)]
        expected = record_cells(want)
        assert set(got) == set(expected), report.url
        for key, value in expected.items():
            if report.kind != "scan" or got[key] == value:
                assert got[key] == value, (report.kind, key)
            else:  # an uncertain OCR value: null, and named
                where = ".".join(k for k in key if k and k != "counts")
                assert got[key] is None and any(p.startswith(where + ":") for p in problems), (key, got[key], value)
        confidence = q(db, "SELECT min(confidence), max(confidence), count(confidence), count(*) FROM cells"
                             " WHERE report_id = ? AND raw != ''", rid)[0]
        if report.kind == "scan":
            assert problems[0].startswith("ocr: pages 1") and "read by OCR" in problems[0]
            # every printed cell keeps the OCR engine's confidence in its reading (schema 18)
            assert confidence[3] == 0 or 0 < confidence[0] <= confidence[1] <= 1 and confidence[2] == confidence[3]
            scanned_cells += confidence[3]
        else:
            assert confidence[2] == 0, confidence  # read from text: no confidence
    assert scanned_cells > 100
