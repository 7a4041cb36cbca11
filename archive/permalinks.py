"""Permalinks: readable ASCII primary keys that are a pure function of content.

Every key uses only [A-Za-z0-9_-] so Datasette puts it in a URL unescaped, and
none depends on insertion order, so a rebuild from the same documents gives the
same keys. The scheme (documented in docs/archive.md):

  body      {code6}-{name8}             411700-4f3c2a1b
  report    {body}-{year}               411700-4f3c2a1b-2020
  section   {report}-{part}             411700-4f3c2a1b-2020-overview
  cell      (report, table, row, col)   /db/cells/411700-4f3c2a1b-2020,applications,granted,total
  check     {report}-{rule}-{table}-{column}
  snapshot  {sha256[:16]}-{url8}        9f86d081884c7d65-1a2b3c4d
  problem   {report or snapshot}-p{n}

code6 is the 6-digit administrative division code of the body's most specific
place (000000 when unplaced); name8 and url8 are the first 8 hex digits of the
sha1 of the normalised body name / the URL. A report's id names the body and
year, not the snapshot, so a re-crawl or re-parse keeps it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

from .regions import divisions

REVIEW_ROW_KEY = "counts"  # review_litigation is one printed row of 15 counts

_SPACE_AND_PUNCT = re.compile(r"[\s\u3000·•,，、。:：;；\"'“”‘’《》<>]+")


@cache
def _division_names() -> frozenset[str]:
    return frozenset(d.name for d in divisions().values())


def _hex8(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def normalise_body_name(name: str) -> str:
    """One spelling per body: NFKC (full-width → half-width), no spaces or
    punctuation, and a bare division name means its people's government
    ("沾益区" → "沾益区人民政府")."""
    text = _SPACE_AND_PUNCT.sub("", unicodedata.normalize("NFKC", name)).strip("()[]")
    if text in _division_names():
        text += "人民政府"
    return text


def body_id(normalised_name: str, code6: str) -> str:
    return f"{code6}-{_hex8(normalised_name)}"


def report_id(body: str, year: int) -> str:
    return f"{body}-{int(year)}"


def section_id(report: str, part: str) -> str:
    return f"{report}-{part}"


def check_id(report: str, rule: str, table: str, column: str) -> str:
    return f"{report}-{rule}-{table}-{column}"


def snapshot_id(url: str, sha256: str) -> str:
    return f"{sha256[:16]}-{_hex8(url)}"


def problem_id(owner: str, n: int) -> str:
    return f"{owner}-p{n}"


def cell_path(report: str, table: str, row: str, column: str) -> str:
    """The row path Datasette uses for a compound key: components joined by commas."""
    return ",".join((report, table, row, column))


def cell_anchor(table: str, row: str, column: str) -> str:
    """HTML id of a cell on its report's page, e.g. #applications-granted-total."""
    return f"{table}-{row}-{column}"
