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
PAGER_URL = re.compile(r"(index_\d+\.s?html?$|[?&](page|pageNo|pageNum|pageIndex|p|pn|cur_?page|currentPage"
                       r"|curPage|startrecord|start|offset)=\d+)", re.I)

# --- Attachments recognised by what they are, not by a URL extension -----------------
# Download endpoints: a path naming the act of downloading, or a query parameter naming
# a file or its id (/download?fileid=12, /attach/getfile.do?id=3, /DownLoad.aspx?FileName=…).
DOWNLOAD_PATH = re.compile(r"(down(load)?(file)?|getfile|attach(ment)?|file\.do|/files?/\d+/?$)", re.I)
FILE_QUERY = re.compile(r"(^|&)(file_?(name|id|path|url)?|fid|attach(ment)?_?(id|name)?|doc_?id)=", re.I)
# Anchor text that names a document file (附件：…年度报告.pdf).
FILE_TEXT = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|et)\s*[)）]?\s*$", re.I)
# The area of an article that holds its files.
ATTACHMENT_AREA = re.compile(r"附件|下载|附档|文件下载|相关附件")
# Online document viewers: pdf.js viewer.html?file=…, generic …/preview?file=…
VIEWER_PARAMS = ("file", "url", "src", "path", "pdf", "doc", "filepath", "fileUrl")
VIEWER_PATH = re.compile(r"(viewer|pdfjs|preview|view|reader|ofdview)", re.I)
# Document kinds a report comes as, by response (crawler/documents.py decides).
DOCUMENT_KINDS = ("pdf", "docx", "doc", "wps", "ofd", "xls", "xlsx")


def is_attachment(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXT)


def is_download(url: str, text: str = "") -> bool:
    """A link that may be a document whatever its URL ends with: a file extension, a
    download endpoint, a query naming a file, or anchor text naming a file. Only a
    candidate: the response decides (crawler/documents.py)."""
    parts = urlsplit(url)
    path = parts.path.lower()
    if path.endswith(ATTACHMENT_EXT) or FILE_TEXT.search(text or ""):
        return True
    if path.endswith((".html", ".htm", ".shtml")) or VIEWER_PATH.search(path.rsplit("/", 1)[-1]):
        return False
    return bool(DOWNLOAD_PATH.search(parts.path) or FILE_QUERY.search(parts.query))


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
