"""Damaged labels: a row whose label matches nothing is placed by its position
when exactly that many rows are missing between its recognised neighbours."""

from __future__ import annotations

from pathlib import Path

from parsers import parse_document

SEED = (Path(__file__).parent / "fixtures" / "seeds" / "001_752a671dabfd990e.txt").read_text(encoding="utf-8")


def parse(text: str) -> dict:
    return parse_document(text.encode("utf-8"), source="damaged.txt")


def test_one_damaged_label_is_placed_by_position():
    text = SEED.replace("5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |", "5.□□□□□□ | 3 | 0 | 0 | 0 | 0 | 0 | 3 |")
    r = parse(text)
    row = r["tables"]["applications"]["denied_internal_affairs"]
    assert [row[c]["value"] for c in row] == [3, 0, 0, 0, 0, 0, 3]
    assert r["problems"] == ["applications.denied_internal_affairs: label '5.□□□□□□' not recognised; row placed by its position"]


def test_values_whose_place_is_uncertain_are_not_placed():
    # two labels damaged, but only one row is missing between the neighbours
    text = SEED.replace("5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |", "5.□□□□ | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n□□ | 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    r = parse(text)
    assert "denied_internal_affairs" not in r["tables"]["applications"]
    assert r["problems"] == [
        "applications: values under the unrecognised label '5.□□□□' were not placed",
        "applications: values under the unrecognised label '□□' were not placed",
    ]
