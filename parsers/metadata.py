"""Title, issuing body, report year and publish date from a report's text.

The report year is the year reported on (沾益区2019年… is 2019, published in
2020). Dates come from explicit labels first (发布时间, PubDate, 时间：), then
a date printed under the title, then the signature date at the end.
"""

from __future__ import annotations

import re
from datetime import date

from parsers.text import clean, squash

# <body><year>年(度)<...>政府信息公开(工作)年度报告
TITLE = re.compile(
    r"(?P<org>[^\s,，。:：;；《》“”\"()（）、#•·|]{0,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*(?:度)?\s*"
    r"(?P<mid>[^\s,，。:：;；《》]{0,16}?)政府信息(?:公开|与政务公开)(?:工作)?(?:年度)?报告"
)
_LABELLED_TITLE = re.compile(r"^\s*(?:标题|title)\s*[:：]\s*(?P<title>.+)$", re.M | re.I)
_LABELLED_ORG = re.compile(r"(?:信息来源|发布机构|来源|发文机关|发布单位)\s*[:：]\s*\n?\s*(?P<org>[^\s|:：]{2,40})")
_LABELLED_DATE = re.compile(
    r"(?:发布时间|发布日期|时间|日期|PubDate|pubdate)\s*[:：]?\s*\n?\s*(?P<date>\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
)
_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?")
_PERIOD = re.compile(r"(?:统计期限|统计时限|期限|自|起至|至|从)\s*(?:为|是|:)?\s*$")
_ORG_SUFFIX_JUNK = re.compile(r"^(?:现公布|公布|关于|发布)")
_NOTICE = re.compile(r"关于|做好|印发|编制|转发")
_NOTICE_AFTER = re.compile(r"[ \t]*(?:编制|格式|报送|工作的|的通知|通知|有关事项|的函)")
YEAR_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年")


def _iso(m: re.Match) -> str | None:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    m = _DATE.search(clean(text))
    return _iso(m) if m else None


def _titles(text: str):
    """Title-shaped phrases that name a report, not a notice about reports
    (关于做好2021年政府信息公开工作年度报告编制工作的通知)."""
    for m in TITLE.finditer(text):
        if not _NOTICE.search(m["org"] or "") and not _NOTICE_AFTER.match(text, m.end()):
            yield m


def find_title(text: str) -> re.Match | None:
    """The report title: a labelled 标题 line, else the first title-shaped phrase."""
    head = clean(text)
    labelled = _LABELLED_TITLE.search(head[:2000])
    if labelled:
        m = next(_titles(labelled["title"]), None)
        if m:
            return m
    # a title split over two lines (深州市人民政府办公室 / 2021年政府信息公开工作年度报告)
    m = next(_titles(head[:3000]), None)
    if m:
        return m
    lines = [line.strip() for line in head[:600].split("\n")]
    for first, second in zip(lines, lines[1:], strict=False):
        m = next(_titles(first + second), None)
        if m:
            return m
    return next(_titles(head), None)


def title_of(m: re.Match | None) -> str | None:
    if not m:
        return None
    org = m["org"] or ""
    junk = _ORG_SUFFIX_JUNK.match(org)
    start = m.start("org") + (junk.end() if junk else 0)
    return squash(m.string[start : m.end()]).replace(" ", "")


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


def published(text: str) -> str | None:
    head = clean(text)
    m = _LABELLED_DATE.search(head[:3000])
    if m:
        return parse_date(m["date"])
    # a date printed under the title: "(2022年1月12日)" or "• 2020-04-21 17:24"
    for m in _DATE.finditer(head[:400]):
        if not _PERIOD.search(head[max(0, m.start() - 6) : m.start()]):
            return _iso(m)
    # the signature date closing the report
    tail = head.rstrip()[-60:]
    dates = list(_DATE.finditer(tail))
    return _iso(dates[-1]) if dates else None
