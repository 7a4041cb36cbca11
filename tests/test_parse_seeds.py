"""The five seeds, transcribed by hand from the printed reports: every cell as
printed, blank → null. Independent of the goldens (which are parser output
checked once); if both disagree with the parser, the parser is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import keys, parse_path

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
Z, B = ["0"] * 7, [""] * 7


def apps(fmt: str, rows: dict[str, list[str]], default: list[str]) -> dict[str, list[str]]:
    return {k: rows.get(k, default) for k in keys.row_keys("applications", fmt)}


EXPECTED = {
    "000_969063d6a9393830.txt": {
        "meta": ("驻马店经济开发区管委会2020年政府信息公开工作年度报告", "驻马店经济开发区管委会", 2020, "2021-02-22", "2019"),
        "applications": apps("2019", {
            "new_received": ["4", "0", "0", "0", "0", "0", "4"],
            "denied_process_info": ["1", "0", "0", "0", "0", "0", "1"],
            "unable_not_held": ["3", "0", "0", "0", "0", "0", "3"],
            "handled_total": ["4", "0", "0", "0", "0", "0", "4"],
        }, Z),
        "active_disclosure": {
            "rules": ["0", "0", "0"], "normative_documents": ["5", "5", "5"],
            "licensing": ["99", "+11", "151"], "other_services": ["94", "+171", "1251"],
            "penalty": ["0", "0", "0"], "coercion": ["0", "0", "0"],
            "fees": ["7", "-2"], "procurement": ["543", "25829.67 (万元)"],
        },
        "review_litigation": ["0"] * 15,
    },
    "001_752a671dabfd990e.txt": {
        "meta": ("深州市人民政府办公室2021年政府信息公开工作年度报告", "深州市人民政府办公室", 2021, "2022-01-12", "2021"),
        "applications": apps("2021", {
            "new_received": ["14", "0", "0", "0", "0", "0", "14"],
            "granted": ["14", "0", "0", "0", "0", "0", "14"],
            "other_no_correction": B, "other_unpaid_fee": B, "other_other": B,
            "handled_total": ["14", "0", "0", "0", "0", "0", "14"],
        }, Z),
        "active_disclosure": {
            "rules": ["0", "0", "0"], "normative_documents": ["1", "0", "3"],
            "licensing": ["0"], "penalty": ["0"], "coercion": ["0"], "fees": ["180.338174"],
        },
        "review_litigation": ["2", "0", "0", "0", "2", "1", "0", "0", "0", "1", "2", "0", "0", "0", "2"],
    },
    "002_bf0c3beead923054.txt": {
        "meta": ("汴东产业集聚区2021年政府信息公开工作年度报告", "汴东产业集聚区", 2021, None, "2021"),
        "applications": apps("2021", {}, Z),
        "active_disclosure": {
            "rules": ["0", "0", "0"], "normative_documents": ["0", "0", "0"],
            "licensing": ["0"], "penalty": ["0"], "coercion": ["0"], "fees": ["0"],
        },
        "review_litigation": ["0"] * 15,
    },
    "003_09886ce637bf6d9d.txt": {
        "meta": (None, None, 2020, None, "2019"),
        "applications": apps("2019", {}, Z),
        "active_disclosure": {
            "rules": ["0", "0", "0"], "normative_documents": ["0", "0", "0"],
            "licensing": ["0", "0", "0"], "other_services": ["0", "0", "0"],
            "penalty": ["0", "0", "0"], "coercion": ["0", "0", "0"],
            "fees": ["0", "0"], "procurement": ["0", "0"],
        },
        "review_litigation": ["0"] * 15,
    },
    "004_611e492656cce8b8.txt": {
        "meta": ("沾益区2019年政府信息公开工作年度报告", "沾益区", 2019, "2020-04-21", "2019"),
        "applications": apps("2019", {
            "new_received": ["3", "", "", "", "", "", "3"],
            "granted": ["2", "", "", "", "", "", "2"],
            "partially_granted": ["1", "", "", "", "", "", "1"],
        }, B),
        "active_disclosure": {
            "rules": ["413", "206", "206"], "normative_documents": ["0", "0", "0"],
            "licensing": ["317", "+6", "18024"], "other_services": ["198", "+54", "220"],
            "penalty": ["1180", "+18", "4075"], "coercion": ["223", "+1", "1830"],
            "fees": ["80", "+1"], "procurement": ["1290", "39039259"],
        },
        "review_litigation": [""] * 15,
    },
}


def _number(raw: str):
    if raw == "":
        return None
    text = raw.split()[0]
    return float(text) if "." in text else int(text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_every_cell(name):
    record = parse_path(SEEDS / name)
    want = EXPECTED[name]
    assert (record["title"], record["organization"], record["year"], record["published"], record["format"]) == want["meta"]
    fmt = want["meta"][4]
    got_apps = record["tables"]["applications"]
    assert list(got_apps) == list(want["applications"])
    for row, raws in want["applications"].items():
        assert [got_apps[row][c]["raw"] for c in keys.APPLICATION_COLUMNS] == raws, row
        assert [got_apps[row][c]["value"] for c in keys.APPLICATION_COLUMNS] == [_number(r) for r in raws], row
    got_active = record["tables"]["active_disclosure"]
    assert list(got_active) == list(want["active_disclosure"])
    for row, raws in want["active_disclosure"].items():
        cols = keys.active_columns(fmt, row)
        assert [got_active[row][c]["raw"] for c in cols] == raws, row
        assert [got_active[row][c]["value"] for c in cols] == [_number(r) for r in raws], row
    review = record["tables"]["review_litigation"]
    assert [review[c]["raw"] for c in keys.REVIEW_COLUMNS] == want["review_litigation"]
    assert [review[c]["value"] for c in keys.REVIEW_COLUMNS] == [_number(r) for r in want["review_litigation"]]


def test_units_are_kept():
    r000 = parse_path(SEEDS / "000_969063d6a9393830.txt")
    assert r000["tables"]["active_disclosure"]["procurement"]["amount"] == {"value": 25829.67, "raw": "25829.67 (万元)", "unit": "万元"}
    r001 = parse_path(SEEDS / "001_752a671dabfd990e.txt")
    assert r001["tables"]["active_disclosure"]["fees"]["amount"] == {"value": 180.338174, "raw": "180.338174", "unit": "万元"}


def test_blank_cells_are_not_checkable_never_zero():
    record = parse_path(SEEDS / "004_611e492656cce8b8.txt")
    balance = {c["column"]: c for c in record["checks"] if c["rule"] == "balance"}
    assert balance["natural_person"]["status"] == "not_checkable"  # carried_over is blank
    row_total = {c["column"]: c for c in record["checks"] if c["rule"] == "row_total"}
    assert row_total["new_received"]["status"] == "not_checkable"  # 商业企业… blank
    assert all(c["status"] == "not_checkable" for c in record["checks"] if c["rule"] == "review_total")


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"004_611e492656cce8b8.txt"}))
def test_consistent_seeds_pass_every_check(name):
    record = parse_path(SEEDS / name)
    not_checkable = {(c["rule"], c["column"]) for c in record["checks"] if c["status"] == "not_checkable"}
    if name.startswith("001"):  # (六)其他处理 printed blank: those sums cannot be checked
        assert not_checkable == {("handled_sum", c) for c in keys.APPLICATION_COLUMNS} | {
            ("row_total", r) for r in ("other_no_correction", "other_unpaid_fee", "other_other")
        }
    else:
        assert not_checkable == set()
    assert {c["status"] for c in record["checks"]} - {"not_checkable"} == {"passed"}
    assert record["problems"] == ([] if record["title"] else ["title: not found", "organization: not found"])


def test_sections_are_the_six_parts():
    record = parse_path(SEEDS / "001_752a671dabfd990e.txt")
    assert list(record["sections"]) == [k for k, _ in keys.SECTIONS]
    assert record["sections"]["other_matters"] == "我市未收取过信息处理费用。"
    assert record["sections"]["overview"].startswith("2021年,市政府办公室认真贯彻落实")
