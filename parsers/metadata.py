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
# What a page prints right after its 来源 line when the markup glues them together
# (来源：某某局浏览次数：23, 来源：某某局发布时间：…): the body name ends there.
ORG_TAIL = re.compile(r"(浏览次数|浏览量|浏览|点击数|点击量|点击|访问量|访问次数|阅读次数|阅读量|发布时间|发布日期|更新时间"
                      r"|成文日期|时间|日期|作者|责任编辑|编辑|字号|字体|分享|打印|关闭|【|\[|\d{4}[-/.年]).*$")
# A body's name by its ending (…人民政府, …局, …委员会, …办公室, …管委会, …街道办事处, …镇).
BODY_NAME = re.compile(r".{2,30}(人民政府|政府|办公厅|办公室|委员会|管委会|管理委员会|街道办事处|街道|局|厅|委|办|署|院|中心"
                       r"|镇|乡|苏木)")
# Source lines that name no body (本站, 原创 …): the page or site owner stands in.
NOT_A_BODY = re.compile(r"^(本站|本网|本网站|原创|网站|管理员|admin|系统管理员|未知|无|其他|转载)$", re.I)


def clean_organization(name: str | None) -> str | None:
    """A body name as a page's source field prints it, cut before glued neighbour text
    (…浏览次数, …发布时间); None when nothing that names a body is left."""
    org = ORG_TAIL.sub("", clean(name or "")).strip(" :：|,，;；")
    org = re.sub(r"\s+", "", org)
    if len(org) < 2 or NOT_A_BODY.match(org):
        return None
    return org


def organization(text: str, title: re.Match | None) -> str | None:
    if title and title["org"]:
        org = _ORG_SUFFIX_JUNK.sub("", title["org"])
        if len(org) >= 2:
            return org
    if title and BODY_NAME.fullmatch(title["mid"] or ""):
        return title["mid"]  # 2020年郑州市教育局政府信息公开工作年度报告: the body after the year
    m = _LABELLED_ORG.search(clean(text)[:3000])
    return clean_organization(m["org"]) if m else None


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
