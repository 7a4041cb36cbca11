"""Real published reports: 平潭 dumps with glued cells, the 淮安 PDF with a
table across pages. Values below were read off the printed pages by hand."""

from __future__ import annotations

from pathlib import Path

from parsers import keys, parse_path

REAL = Path(__file__).parent / "fixtures" / "real-reports"


def values(record, table, row):
    return [record["tables"][table][row][c]["value"] for c in keys.APPLICATION_COLUMNS]


def statuses(record):
    return {s: sum(1 for c in record["checks"] if c["status"] == s) for s in ("passed", "failed", "not_checkable")}


def test_pingtan_2022_glued_cells_split_by_the_checks():
    r = parse_path(REAL / "004_fujian_pingtan_2022_page.txt")
    assert (r["title"], r["organization"], r["year"], r["published"], r["format"]) == (
        "平潭综合实验区2022年度政府信息公开工作年度报告", "平潭综合实验区", 2022, "2023-02-20", "2021")
    assert values(r, "applications", "new_received") == [71, 3, 0, 0, 0, 0, 74]  # printed "713000074"
    assert values(r, "applications", "partially_granted") == [8, 1, 0, 0, 0, 0, 9]  # "8100009"
    assert values(r, "applications", "unable_not_held") == [37, 0, 0, 0, 0, 0, 37]  # "370000037" + "2."
    assert values(r, "applications", "other_other") == [0, 2, 0, 0, 0, 0, 2]
    assert values(r, "applications", "handled_total") == [72, 3, 0, 0, 0, 0, 75]
    assert [r["tables"]["review_litigation"][c]["value"] for c in keys.REVIEW_COLUMNS] == [
        0, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert statuses(r) == {"passed": 42, "failed": 0, "not_checkable": 0}
    # "8855698" cannot be cut into 3 cells with certainty: null, and said so
    assert r["tables"]["active_disclosure"]["normative_documents"]["issued"] == {"value": None, "raw": "8855698"}
    assert r["problems"] == ["active_disclosure.normative_documents: glued digits '8855698' have 15 readings; values left null"]
    assert r["tables"]["active_disclosure"]["fees"]["amount"] == {"value": 9116.36, "raw": "9116.36", "unit": "万元"}


def test_pingtan_2021_review_row_of_17_digits():
    r = parse_path(REAL / "003_fujian_pingtan_2021_page.txt")
    assert [r["tables"]["review_litigation"][c]["value"] for c in keys.REVIEW_COLUMNS] == [
        1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]  # printed "10203120001200000"
    assert values(r, "applications", "new_received") == [64, 0, 0, 2, 0, 4, 70]
    assert values(r, "applications", "carried_forward") == [1, 0, 0, 0, 0, 0, 1]


def test_pingtan_2020_printed_inconsistency_is_reported_not_repaired():
    r = parse_path(REAL / "002_fujian_pingtan_2020_page.txt")
    assert values(r, "applications", "other") == [4, 0, 0, 0, 0, 0, 4]
    failed = [(c["rule"], c["column"], c["left"], c["right"]) for c in r["checks"] if c["status"] == "failed"]
    assert failed == [("handled_sum", "natural_person", 20, 26), ("handled_sum", "total", 21, 27)]


def test_pingtan_2019_every_application_row_is_certain():
    r = parse_path(REAL / "001_fujian_pingtan_2019_page.txt")
    assert r["format"] == "2019"
    assert values(r, "applications", "new_received") == [23, 0, 0, 0, 0, 0, 23]  # "230 000023"
    assert values(r, "applications", "handled_total") == [23, 0, 0, 0, 0, 0, 23]  # "23 0 00 0 023"
    assert statuses(r) == {"passed": 40, "failed": 0, "not_checkable": 0}
    assert not [p for p in r["problems"] if p.startswith("applications")]


def test_huaian_pdf_table_across_pages():
    r = parse_path(REAL / "009_jiangsu_huaian_city_2024.pdf")
    assert (r["title"], r["organization"], r["year"], r["format"]) == (
        "淮安市人民政府2024年政府信息公开工作年度报告", "淮安市人民政府", 2024, "2021")
    assert values(r, "applications", "new_received") == [3001, 53, 0, 0, 61, 4, 3119]
    assert values(r, "applications", "partially_granted") == [447, 7, 0, 0, 0, 0, 454]
    assert values(r, "applications", "unable_not_held") == [746, 12, 0, 0, 10, 1, 769]  # last row of page 4
    assert values(r, "applications", "unable_needs_creation") == [11, 0, 0, 0, 0, 0, 11]  # first of page 5
    assert values(r, "applications", "other_no_correction") == [67, 3, 0, 0, 1, 0, 71]
    assert values(r, "applications", "handled_total") == [2932, 53, 0, 0, 61, 4, 3050]
    assert values(r, "applications", "carried_forward") == [103, 0, 0, 0, 0, 0, 103]
    assert [r["tables"]["review_litigation"][c]["value"] for c in keys.REVIEW_COLUMNS] == [
        72, 64, 178, 37, 351, 13, 4, 8, 1, 26, 12, 1, 1, 6, 20]
    ad = r["tables"]["active_disclosure"]
    assert [ad["rules"][c]["value"] for c in ("issued", "repealed", "in_force")] == [1, 0, 11]
    assert ad["licensing"]["decisions"]["value"] == 447228
    assert ad["fees"]["amount"] == {"value": 96171.6, "raw": "96171.6", "unit": "万元"}
    assert statuses(r) == {"passed": 42, "failed": 0, "not_checkable": 0}
    assert r["problems"] == []


def test_huaian_page_text_alone_yields_applications_and_names_the_rest():
    r = parse_path(REAL / "010_jiangsu_huaian_city_2024_section3_rawtext.txt")
    assert values(r, "applications", "unable_not_held") == [746, 12, 0, 0, 10, 1, 769]
    assert "unable_needs_creation" not in r["tables"]["applications"]  # on page 5, not in this text
    assert r["problems"] == ["title: not found", "organization: not found", "year: not found",
                             "active_disclosure: table not found", "review_litigation: table not found"]
