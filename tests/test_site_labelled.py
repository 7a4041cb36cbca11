"""`.labelled` JSON (nianbao/site/labelled.py): tables, rows, canned and typed queries with
the Chinese label beside every labelled key and every column, the same labels the pages
show (archive/labels.py), and next pages that stay labelled."""

from __future__ import annotations

import urllib.parse

import pytest

from archive import labels as L
from benchmarks import archive_generate
from nianbao.site.app import make_datasette
from tests import site_support


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    path = tmp_path_factory.mktemp("labelled") / "lab.db"
    archive_generate.generate(path, 60)
    return make_datasette(path)


def get(ds, path):
    response = site_support.get(ds, path)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_cells_have_every_key_labelled_and_pages_stay_labelled(ds):
    first = get(ds, "/lab/cells.labelled?_size=7")
    assert first["column_labels"] == {"report_id": "报告", "table_name": "表格", "row_key": "行", "column_key": "列",
                                      "value": "数值", "raw": "原文", "unit": "单位", "confidence": "识别置信度"}
    plain = get(ds, "/lab/cells.json?_size=7&_shape=objects")["rows"]
    assert [{k: v for k, v in r.items() if not k.endswith("_zh")} for r in first["rows"]] == plain
    for row in first["rows"]:
        assert row["table_name_zh"] == L.table_label(row["table_name"]) != row["table_name"]
        assert row["row_key_zh"] == L.zh("row", row["row_key"], row["table_name"])
        assert row["column_key_zh"] == L.zh("column", row["column_key"], row["table_name"])
        assert row["row_key_zh"] and row["column_key_zh"]
    assert first["rows"][0]["row_key"] == "coercion" and first["rows"][0]["row_key_zh"] == "行政强制"
    nxt = urllib.parse.urlsplit(first["next_url"])
    assert nxt.path == "/lab/cells.labelled"
    second = get(ds, f"{nxt.path}?{nxt.query}")
    eighth = get(ds, "/lab/cells.json?_size=8&_shape=objects")["rows"][-1]
    assert {k: v for k, v in second["rows"][0].items() if not k.endswith("_zh")} == eighth


def test_checks_reports_queries_and_a_row(ds):
    check = get(ds, "/lab/checks.labelled?status=failed&_size=1")["rows"][0]
    assert check["status_zh"] == "未通过" and check["rule_zh"] == L.zh("rule", check["rule"])
    report = get(ds, "/lab/reports.labelled?_size=1")["rows"][0]
    assert report["level_zh"] == L.zh("level", report["level"]) and report["format_zh"].startswith(report["format"])
    typed = get(ds, "/lab.labelled?sql=" + urllib.parse.quote("select part, count(*) as n from sections group by part"))
    assert {r["part"]: r["part_zh"] for r in typed["rows"]}["overview"] == "总体情况"
    assert typed["column_labels"]["part"] == "部分"
    canned = get(ds, "/lab/yearly_totals.labelled?province=" + urllib.parse.quote("北京"))
    assert canned["column_labels"]["granted"] == "予以公开" and canned["rows"][0]["province"] == "北京市"
    key = get(ds, "/lab/cells.json?_size=1&_shape=objects")["rows"][0]
    one = get(ds, "/lab/cells/" + ",".join(key[k] for k in ("report_id", "table_name", "row_key", "column_key"))
              + ".labelled")
    assert one["rows"][0]["column_key_zh"] == L.zh("column", key["column_key"], key["table_name"])
