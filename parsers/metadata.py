"""Title, issuing body, report year and publish date from a report's text.

The report year is the year reported on (沾益区2019年… is 2019, published in
2020). Dates come from explicit labels first (发布时间, PubDate, 时间：), then
a date printed under the title, then the signature date at the end.
"""

from __future__ import annotations

import re

# Title and date extraction live in the shared vocabulary (the crawler reads titles
# with the same rules); their names stay importable from here.
from nianbao.vocabulary import (  # noqa: F401
    _DATE,
    _LABELLED_DATE,
    _LABELLED_TITLE,
    _NOTICE,
    _NOTICE_AFTER,
    _ORG_SUFFIX_JUNK,
    _PERIOD,
    TITLE,
    YEAR_IN_TEXT,
    _iso,
    _titles,
    find_title,
    parse_date,
    published,
    title_of,
)
from parsers.text import clean

_LABELLED_ORG = re.compile(r"(?:信息来源|发布机构|来源|发文机关|发布单位)\s*[:：]\s*\n?\s*(?P<org>[^\s|:：]{2,40})")


def organization(text: str, title: re.Match | None) -> str | None:
    if title and title["org"]:
        org = _ORG_SUFFIX_JUNK.sub("", title["org"])
        if len(org) >= 2:
            return org
    m = _LABELLED_ORG.search(clean(text)[:3000])
    return m["org"] if m else None


def report_year(text: str, title: re.Match | None) -> int | None:
    if title:
        return int(title["year"])
    m = re.search(r"统计期限自?\s*((?:19|20)\d{2})\s*年", clean(text))
    if m:
        return int(m.group(1))
    m = YEAR_IN_TEXT.search(clean(text))
    return int(m.group(1)) if m else None


def signature_date(text: str) -> str | None:
    """The date printed under the signature, closing the report."""
    dates = list(_DATE.finditer(clean(text).rstrip()[-60:]))
    return _iso(dates[-1]) if dates else None


def property_date(value) -> str | None:
    """A file property's date: a datetime, or a PDF date string (D:20220112093000+08'00')."""
    if value is None:
        return None
    if hasattr(value, "date"):
        return value.date().isoformat()
    m = re.match(r"(?:D:)?(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})", str(value).strip())
    return _iso(m) if m else None
