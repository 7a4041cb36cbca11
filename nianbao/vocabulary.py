"""The project's vocabulary: what a report title is, how titles and dates are read,
and what a failed fetch or a failed save means. One module, used by the crawler
(discovery, the spider, fetch_log), the parsers (metadata) and the archive (the
store, ingest), so a rule changes in one place and means the same everywhere.

Pure functions and compiled patterns, no I/O and no Scrapy: the crawler turns a
Twisted failure into the plain facts `fetch_failure` reads.
"""

from __future__ import annotations

import errno
import re
import sqlite3
from datetime import date

# --- is this a report title (an anchor, a <title>, a heading) -------------------------

# 2020年政府信息公开工作年度报告, 2019年度…政府信息公开年度报告, …政府信息公开工作年报.
# The phrase must end the title (bar a bracketed note or a file extension):
# "…年度报告编制培训会" is news about a report, not a report.
REPORT_TITLE = re.compile(
    r"((19|20)\d{2})年度?.{0,60}?政府信息公开(工作)?(年度报告|年报|年度工作报告)"
    r"([(（【\[][^)）】\]]{0,20}[)）】\]])?(\.(pdf|docx?|wps|html?))?$",
    re.I,
)
# Titles that quote a report without being one (解读, 一图读懂, 通知…).
NOT_REPORT = re.compile(r"解读|图解|一图|读懂|图说|视频|通知|征求意见|提纲|模板|格式|指南|撤回|转载|培训|召开|会议"
                        r"|法治政府|统计公报|工作要点")
# <title> often appends the site name: "…年度报告 - 河南省人民政府门户网站", "…_XX区政府",
# "…|XX网", "…—XX市人民政府", "…--XX": one separator rule for every reader of titles.
TITLE_PARTS = re.compile(r"\s*(?:_|\||--|—|－|-\s)\s*")
YEAR_TEXT = re.compile(r"(19|20)\d{2}")

SPACES = re.compile(r"\s+")


def clean(text: str | None) -> str:
    return SPACES.sub(" ", text).strip() if text else ""


def report_year(title: str | None) -> int | None:
    """The report year a title names, or None when the title is not a report's."""
    for part in TITLE_PARTS.split(clean(title)):
        t = re.sub(r"\s+", "", part).rstrip("。.")
        if t and not NOT_REPORT.search(t):
            m = REPORT_TITLE.search(t)
            if m:
                return int(m.group(1))
    return None


def is_report_title(title: str | None) -> bool:
    return report_year(title) is not None


# --- title and date of a report's text (parsers/metadata.py reads the body with these) --

# <body><year>年(度)<...>政府信息公开(工作)年度报告
TITLE = re.compile(
    r"(?P<org>[^\s,，。:：;；《》“”\"()（）、#•·|]{0,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年\s*(?:度)?\s*"
    r"(?P<mid>[^\s,，。:：;；《》]{0,16}?)政府信息(?:公开|与政务公开)(?:工作)?(?:年度)?报告"
)
_LABELLED_TITLE = re.compile(r"^\s*(?:标题|title)\s*[:：]\s*(?P<title>.+)$", re.M | re.I)
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
    from parsers.text import clean as clean_text  # here: parsers imports this module

    m = _DATE.search(clean_text(text))
    return _iso(m) if m else None


def _titles(text: str):
    """Title-shaped phrases that name a report, not a notice about reports
    (关于做好2021年政府信息公开工作年度报告编制工作的通知)."""
    for m in TITLE.finditer(text):
        if not _NOTICE.search(m["org"] or "") and not _NOTICE_AFTER.match(text, m.end()):
            yield m


def find_title(text: str) -> re.Match | None:
    """The report title: a labelled 标题 line, else the first title-shaped phrase."""
    from parsers.text import clean as clean_text  # here: parsers imports this module

    head = clean_text(text)
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
    from parsers.text import squash

    if not m:
        return None
    org = m["org"] or ""
    junk = _ORG_SUFFIX_JUNK.match(org)
    start = m.start("org") + (junk.end() if junk else 0)
    return squash(m.string[start : m.end()]).replace(" ", "")


def published(text: str) -> str | None:
    from parsers.text import clean as clean_text  # here: parsers imports this module

    head = clean_text(text)
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


# --- what a failed fetch means ------------------------------------------------------
# One classification for the site's status (site_status) and the URL's record
# (fetch_log): the spider's errback and the fetch-log extension both ask here.

CHALLENGE_STATUSES = (412,)  # anti-bot JavaScript challenges: never circumvented, so skipped
GONE_STATUSES = (404, 410)


def fetch_failure(*, status: int | None = None, error: str = "", message: str = "", ignored: bool = False,
                  dns: bool = False, retries: list[str] | tuple = ()) -> tuple[str, str, str, int | None]:
    """(site outcome, fetch_log outcome, reason, HTTP status) of a fetch that never succeeded.

    status: the HTTP error status; error: the exception's class name; message: its
    text; ignored: the request was dropped on purpose (robots.txt, a redirect
    loop, an offsite redirect); dns: the host name did not resolve; retries: why
    each earlier attempt failed. Site outcomes: robots, blocked, not_found, error.
    """
    tries = f" after {len(retries)} retries ({', '.join(dict.fromkeys(retries))})" if retries else ""
    if status is not None:
        if status in CHALLENGE_STATUSES:
            return "blocked", "skipped", f"HTTP {status} JavaScript challenge (not circumvented)", status
        return ("not_found" if status in GONE_STATUSES else "error"), "failed", f"HTTP {status}{tries}", status
    if ignored:
        if "robots.txt" in message:
            return "robots", "skipped", "robots.txt disallows", None
        if "redirect" in message:
            return "error", "failed", f"redirect loop: {message}", None
        return "error", "skipped", message or "ignored", None
    if dns:
        return "not_found", "failed", f"DNS lookup failed{tries}", None
    if "max size" in message or "larger than download max size" in message:
        return "error", "skipped", "over the download size limit (DOWNLOAD_MAXSIZE)", None
    return "error", "failed", f"{error}{tries}", None


def fetch_retried(status: int, retries: list[str] | tuple) -> tuple[str, str, int] | None:
    """(fetch_log outcome, reason, status) of a fetch that succeeded after retries, or None."""
    if not retries:
        return None
    return "retried", f"HTTP {status} after {len(retries)} retries ({', '.join(dict.fromkeys(retries))})", status


# --- what a failed save means -----------------------------------------------------
# The disk (or the archive's quota) is full: no later save can succeed either, so
# a crawl stops and says so instead of counting one error per document.

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageFull(Exception):
    """Raised before a save that the disk has no room for (crawler/storage.py): its text is the reason."""


def storage_failure(exc: BaseException) -> str | None:
    """A one-line reason when exc means the archive cannot be written any more, else None."""
    if isinstance(exc, StorageFull):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc)
        if "full" in text or "disk I/O error" in text or "readonly" in text:
            return f"cannot write the archive: {text}"
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return f"cannot write the archive: {exc.strerror or exc}"
    return None
