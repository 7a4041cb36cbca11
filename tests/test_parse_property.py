"""Random valid tables of both template versions, rendered in every layout seen in
the wild (HTML with spans, pipes, tabs, one cell per line, blank-line cells),
wrapped in a minimal six-part report and parsed back cell by cell.

The numbers satisfy the template's checks (勾稽关系); some cells are blank (a
blank cell makes a check not_checkable, never failed); money cells carry
decimals or a glued unit ("251000元", "25829.67 (万元)").
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import keys, parse_document
from tests import renderers as R

LAYOUTS = ("html", *R.TEXT_LAYOUTS)
HTML_QUIRKS = ("nbsp_blanks", "split_headers", "vertical_labels", "enum_comma", "label_typos", "wide_grid",
               "fullwidth_parens")
COUNTS = st.one_of(st.integers(0, 12), st.integers(0, 5000))
HANDLED = [k for k in keys.ALL_APPLICATION_ROW_KEYS
           if k not in ("new_received", "carried_over", "handled_total", "carried_forward")]


@st.composite
def money(draw) -> str:
    number = draw(st.one_of(st.integers(0, 10**7).map(str),
                            st.decimals(0, 10**6, places=2, allow_nan=False, allow_infinity=False).map(str)))
    return draw(st.sampled_from([number, f"{number}元", f"{number} (万元)", f"{number}万元"]))


@st.composite
def tables(draw, fmt: str) -> R.Tables:
    t = R.Tables(fmt)
    for key, _label, _item, cols in keys.ACTIVE_DISCLOSURE[fmt]:
        row = {}
        for col in cols:
            if col == "amount":
                row[col] = draw(money())
            elif col == "change":
                n = draw(st.integers(-500, 500))
                row[col] = f"+{n}" if n > 0 else str(n)
            else:
                row[col] = str(draw(COUNTS))
        t.active[key] = row
    handled = [k for k, _g, _l in keys.APPLICATION_ROWS[fmt] if k in HANDLED]
    apps: dict[str, dict[str, int]] = {k: {} for k, _g, _l in keys.APPLICATION_ROWS[fmt]}
    for col in keys.APPLICATION_COLUMNS[:-1]:
        for k in handled:
            apps[k][col] = draw(COUNTS)
        done = sum(apps[k][col] for k in handled)
        apps["handled_total"][col] = done
        apps["carried_forward"][col] = draw(COUNTS)
        apps["carried_over"][col] = draw(st.integers(0, done + apps["carried_forward"][col]))
        apps["new_received"][col] = done + apps["carried_forward"][col] - apps["carried_over"][col]
    for row in apps.values():
        row["total"] = sum(row[c] for c in keys.APPLICATION_COLUMNS[:-1])
    t.applications = {k: {c: str(v) for c, v in row.items()} for k, row in apps.items()}
    review = {}
    for group in keys.REVIEW_GROUPS:
        parts = [draw(COUNTS) for _ in range(4)]
        review.update({f"{group}_{o}": str(v) for o, v in zip(keys.OUTCOMES, [*parts, sum(parts)], strict=True)})
    t.review = review
    # some cells left blank, as published reports do
    cells = [(t.active, k, c) for k in t.active for c in t.active[k]]
    cells += [(t.applications, k, c) for k in t.applications for c in t.applications[k]]
    cells += [(t.review, None, c) for c in t.review]
    for table, row, col in draw(st.lists(st.sampled_from(cells), max_size=6)):
        (table[row] if row else table)[col] = ""
    return t


def _expected(raw: str, layout: str, header_unit: str | None = None) -> dict:
    printed = R.printed_raw(raw, layout)
    if raw == "":
        return {"value": None, "raw": printed}
    number, unit = raw, None
    for suffix, u in ((" (万元)", "万元"), ("万元", "万元"), ("元", "元")):
        if raw.endswith(suffix):
            number, unit = raw.removesuffix(suffix), u
            break
    value = float(number) if "." in number else int(number)
    unit = unit or header_unit
    return {"value": value, "raw": raw, **({"unit": unit} if unit else {})}


def _render(t: R.Tables, layout: str, quirks: frozenset[str]) -> tuple[bytes, str]:
    if layout == "html":
        return R.report_html(t, R.Style(quirks)).encode(), "report.html"
    return R.report_text(t, layout).encode(), "report.txt"


def _check_round_trip(t: R.Tables, layout: str, quirks: frozenset[str] = frozenset()) -> None:
    data, filename = _render(t, layout, quirks)
    record = parse_document(data, source=filename, filename=filename)
    assert record["format"] == t.fmt
    assert record["problems"] == []
    got = record["tables"]
    assert list(got["active_disclosure"]) == list(t.active)
    for key, cols in t.active.items():
        # 2021: 本年收费金额(单位:万元) names the fee's unit in its header
        unit = "万元" if (t.fmt == "2021" and key == "fees") else None
        for col, raw in cols.items():
            assert got["active_disclosure"][key][col] == _expected(raw, layout, unit), (key, col)
    assert list(got["applications"]) == list(t.applications)
    for key, cols in t.applications.items():
        for col, raw in cols.items():
            assert got["applications"][key][col] == _expected(raw, layout), (key, col)
    for col, raw in t.review.items():
        assert got["review_litigation"][col] == _expected(raw, layout), col
    assert not [c for c in record["checks"] if c["status"] == "failed"]


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("fmt", ["2019", "2021"])
@pytest.mark.parametrize("layout", R.TEXT_LAYOUTS)
@SETTINGS
@given(data=st.data())
def test_text_layouts_round_trip(fmt, layout, data):
    _check_round_trip(data.draw(tables(fmt)), layout)


@pytest.mark.parametrize("fmt", ["2019", "2021"])
@SETTINGS
@given(data=st.data())
def test_html_round_trip(fmt, data):
    quirks = frozenset(data.draw(st.sets(st.sampled_from(HTML_QUIRKS))))
    _check_round_trip(data.draw(tables(fmt)), "html", quirks)
