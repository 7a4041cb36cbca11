"""What the crawler follows and what it calls a report — pure functions, no I/O.

Government portals have thousands of pages; the reports sit in one column
(信息公开年报) a few clicks below the portal root. So discovery follows only
links whose anchor text or URL points towards that column, recognises report
pages by their title, and keeps attachments (PDF/Word/WPS/Excel) that a report
page or a report column links to.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The report-title rules live in the shared vocabulary (crawler, parsers and archive
# read them there); discovery's names stay importable from here.
from nianbao.vocabulary import (  # noqa: F401
    NOT_REPORT,
    REPORT_TITLE,
    SPACES,
    TITLE_PARTS,
    YEAR_TEXT,
    clean,
    is_report_title,
    report_year,
)

# Anchor text that leads towards the reports (navigation). 政务公开 is the usual
# top-level menu above 政府信息公开 on provincial portals.
NAV_TEXT = re.compile(r"政府信息公开|信息公开目录|信息公开年报|公开年报|年报|年度报告|政务公开|信息公开")
# URL tokens of annual-report columns (TRS: /zfxxgk/zfxxgknb/, others: /gknb/).
COLUMN_URL = re.compile(r"(zfxxgknb|xxgknb|gknb|zwgknb|xxgkndbg|ndbg)", re.I)
NAV_URL = re.compile(r"(zfxxgknb|xxgknb|gknb|zfxxgk|xxgkml|ndbg)", re.I)
# A page or column about annual reports: its title/heading says so.
COLUMN_TEXT = re.compile(r"年报|年度报告")

ATTACHMENT_EXT = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd")
SKIP_EXT = (
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".svg", ".webp", ".ico", ".css", ".js",
    ".zip", ".rar", ".7z", ".mp4", ".mp3", ".avi", ".flv", ".swf", ".apk", ".exe", ".xml",
)
# Pagination anchors of static listings (index_1.html, ?page=2).
PAGER_TEXT = re.compile(r"^(下一?页|后一?页|尾页|末页|上一?页|前一?页|首页|\d{1,3}|>|»|>>|›)$")
PAGER_URL = re.compile(r"(index_\d+\.s?html?$|[?&](page|pageNo|pageNum|pageIndex|p)=\d+)", re.I)


def is_attachment(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXT)


def is_skipped(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return True  # javascript:, mailto:, tel:
    return parts.path.lower().endswith(SKIP_EXT)


def is_column_url(url: str) -> bool:
    return bool(COLUMN_URL.search(urlsplit(url).path))


def is_nav_link(url: str, text: str) -> bool:
    """A link worth following from a portal page towards the report column."""
    return bool(NAV_TEXT.search(text) or NAV_URL.search(urlsplit(url).path))


def is_pager_link(url: str, text: str) -> bool:
    return bool(PAGER_URL.search(url)) and (not text or bool(PAGER_TEXT.match(clean(text))))


def is_column_item(text: str) -> bool:
    """An entry of a report column: its anchor names a year or a report."""
    return bool(YEAR_TEXT.search(text) or COLUMN_TEXT.search(text))
