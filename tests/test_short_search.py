"""1-2 character searches from the short-search index (archive/shortsearch.py, migration 13)
give exactly the rows LIKE gives, on real report texts, at the ends of texts, in ASCII of
either case, after re-saves that delete and re-insert rows."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import archive
from archive import shortsearch
from tests.archive_fixtures import make_record

SHARED = Path(__file__).resolve().parents[2] / "shared"


def like(db, table: str, columns: tuple[str, ...], q: str) -> set[int]:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    where = " OR ".join(f"[{c}] LIKE :p ESCAPE '\\'" for c in columns)
    return {r[0] for r in db.execute(f"SELECT rowid FROM [{table}] WHERE {where}", {"p": f"%{escaped}%"})}


def indexed(db, fts: str, q: str) -> set[int]:
    return {r[0] for r in db.execute(shortsearch.rowids_sql(fts), {"q": q})}


def samples(texts: list[str], rng: random.Random) -> list[str]:
    out = {"复议", "纠正", "郑州", "公开", "。", "年", "zz", "PDF", "pdf", "A", "的", "\u3000"}
    for t in texts:
        if len(t) >= 2:
            out.update({t[-1], t[-2:], t[:2], t[0]})  # the ends of texts: the padding's reason
            i = rng.randrange(len(t) - 1)
            out.update({t[i], t[i:i + 2]})
    return sorted(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    db = archive.open_archive(tmp_path_factory.mktemp("short") / "a.db")
    archive.ingest_paths(db, [SHARED / "seeds", SHARED / "real-reports"])
    for org, year in (("郑州市人民政府", 2021), ("ABC开发区管委会", 2022), ("纠正", 2020)):
        archive.save_report(db, make_record("2021", organization=org, year=year), snapshot_id=None, url=None)
    return db


def test_short_index_equals_like_on_real_texts(corpus):
    db = corpus
    rng = random.Random(5)
    texts = [r[0] for r in db.execute("SELECT text FROM sections")]
    names = [r[0] or "" for r in db.execute("SELECT organization FROM reports")]
    qs = samples(texts + names, rng)
    assert len(texts) > 50 and len(qs) > 200
    for q in qs:
        assert indexed(db, "sections_short", q) == like(db, "sections", ("text",), q), q
        assert indexed(db, "reports_short", q) == like(db, "reports", ("title", "organization"), q), q
    assert indexed(db, "reports_short", "abc") == like(db, "reports", ("title", "organization"), "ABC") != set()


def test_short_index_follows_resaves_and_updates(corpus):
    db = corpus
    record = make_record("2021", organization="郑州市人民政府", year=2021)
    record["sections"]["overview"] = "本年度行政复议纠正一件"
    archive.save_report(db, record, snapshot_id=None, url=None)  # sections deleted and re-inserted
    with db.conn:
        db.execute("UPDATE reports SET title = '新标题郑' WHERE organization = '纠正'")
    for q in ("复议", "纠正", "郑", "郑州", "题郑", "标"):
        assert indexed(db, "sections_short", q) == like(db, "sections", ("text",), q), q
        assert indexed(db, "reports_short", q) == like(db, "reports", ("title", "organization"), q), q
    assert indexed(db, "sections_short", "复议") >= {
        db.execute("SELECT rowid FROM sections WHERE text = '本年度行政复议纠正一件'").fetchone()[0]}
