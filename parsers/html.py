"""An HTML page of a government CMS → a `Reading`.

The report sits in a content container (TRS `div.TRS_Editor`, Hanweb/大汉
`div#zoom`, …) inside page chrome (无障碍浏览, 长者专版, 当前位置, share bars,
footers). The text of the report is that container flattened to lines, with
each table flattened in place (tab-separated printed rows) so the part
headings stay in order for `sections.split_sections`. The tables of parts 2–4
are read from the raw `<table>` grids (grid.py), never from a text dump:
trafilatura's own table output drops and shifts cells.

Where no known container is found, the container is the smallest element
holding the report's headings and tables; only a page with neither falls back
to trafilatura for its prose (trafilatura costs ~20× the rest of this reader,
see docs/parsing.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from nianbao.vocabulary import TITLE_PARTS
from parsers import metadata
from parsers.bounds import MAX_TRAFILATURA_CHARS
from parsers.cells import is_blank, is_value_cell
from parsers.decode import decode_html
from parsers.document import Reading
from parsers.grid import Grid, build_grid
from parsers.layouts import Tokens
from parsers.sections import HEADING_WORDS, find_parts
from parsers.text import clean, label_key

# Content containers of the CMSs seen on government sites, most specific first:
# (a string the page source must contain, the XPath). A class XPath over a
# 3000-element page costs ~0.1 ms, `//*[@id=…]` ~0.4 ms and id() nothing (libxml2
# indexes ids), so ids use id() and the substring test skips what cannot match.
CONTENT_XPATHS = tuple(
    (needle, etree.XPath(x))
    for needle, x in (
        ("TRS_Editor", "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]"),  # TRS WCM
        ("TRS_UEDITOR", "//div[contains(@class, 'TRS_UEDITOR')]"),
        ("oom", "id('zoom') | id('Zoom') | id('ZOOM')"),  # Hanweb / 大汉
        ("UCAP-CONTENT", "id('UCAP-CONTENT')"),  # 开普 UCAP
        ("pages_content", "//div[contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')]"),  # gov.cn
        ("zoomcon", "id('zoomcon')"),
        ("j-show-body", "id('j-show-body')"),
        ("ivs_content", "id('ivs_content')"),
        ("mainText", "id('mainText')"),
        ("article-content", "//div[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]"),
    )
)
# A container shorter than this is a teaser or an empty template slot.
MIN_CONTENT_CHARS = 40
# Elements never read as text.
SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "select", "option", "button", "input",
     "textarea", "head", "title", "meta", "link", "object", "embed", "svg", "canvas", "map"}
)
BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "li", "ul", "ol",
     "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "center", "form",
     "tr", "table", "tbody", "thead", "tfoot", "caption", "figure", "figcaption", "hr", "address"}
)
# class/id words of page chrome; such an element is skipped unless it holds a
# table or a long text (a content div named "article-header" is not chrome).
CHROME_CLASS = re.compile(
    r"share|bdshare|wza|barrier|elder|toolbar|breadcrumb|crumb|position|location|daohang|"
    r"footer|foot|copyright|print|fontsize|font-size|zitidx|\bnav\b|menu|search|qrcode|erweima",
    re.I,
)
CHROME_MAX_CHARS = 300
# Whole lines of chrome that survive in containers ("无障碍浏览 长者专版", "【打印本页】【关闭窗口】").
_CHROME_WORD = (
    r"(?:[【\[]\s*)?(?:无障碍浏览|无障碍|长者专版|适老化|关怀版|简体|繁體|繁体|手机版|English|微信|微博|QQ空间|QQ|"
    r"打印本页|打印|关闭窗口|关闭|收藏本页|收藏|返回顶部)(?:\s*[】\]])?"
)
CHROME_LINE = re.compile(
    rf"^(?:(?:当前位置|您的位置|您现在的位置)\s*[:：].*|分享到\s*[:：]?.*|字体\s*[:：]?\s*[【\[]?\s*大\s*中\s*小.*|"
    rf"{_CHROME_WORD}(?:\s*{_CHROME_WORD})*)$"
)
TITLE_META = ("articletitle", "og:title", "dc.title", "title")
DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date",
             "releasedate", "maketime")
SOURCE_META = ("contentsource", "source", "dc.publisher")
_TITLE_ELEMENTS = etree.XPath("(//h1|//h2|//*[contains(@class,'title') or contains(@id,'title')])[position() <= 12]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_LABELLED_DATE = re.compile(
    r"(?:发布时间|发布日期|发文日期|成文日期|日期|时间)\s*[:：]\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
)
_LABELLED_SOURCE = re.compile(r"(?:信息来源|来源|发布机构|发文机关)\s*[:：]\s*([^\s|:：]{2,40})")
HTML_PARSER = etree.HTMLParser(no_network=True)
_ANY_SPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[^\S\t\n]+")
_MARK = "\x00table:{}\x00"
_MARK_LINE = re.compile(r"\x00table:(\d+)\x00")

# Any part heading at the start of an element's own text (one regex: a page has
# thousands of elements, most of them menu links).
ANY_HEADING = re.compile(rf"\s*[一二三四五六七][、.．]\s*(?:{'|'.join(HEADING_WORDS.values())})")
# Tags a heading's text sits in; not <a>/<li>, which are most of a portal's elements.
HEADING_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "strong", "b", "font", "td", "th")
TABLE_PARTS = ("active_disclosure", "applications", "review_litigation")
# Words in a table row that tell which part's table it is (on the row's text
# without whitespace).
ROW_SIGNS = {
    "active_disclosure": re.compile(
        r"主动公开|第二十条|信息内容|制发件数|废止件数|现行有效|新制作|新公开数量|对外公开总数|上一年项目|"
        r"处理决定数量|收费金额|集中采购|采购项目|采购总金额|行政许可|行政处罚|行政强制|事业性收费|规范性文件|对外管理服务"
    ),
    "applications": re.compile(
        r"收到和处理|依申请公开|申请人情况|勾稽|自然人|法人或其他组织|商业企业|科研机构|公益组织|法律服务|"
        r"本年新收|上年结转|办理结果|予以公开|部分公开|不予公开|国家秘密|禁止公开|三安全|第三方|内部事务|内容事务|"
        r"过程性|执法案卷|行政查询|无法提供|不掌握|另行制作|补正|不予处理|信访|重复申请|出版物|大量反复|"
        r"重新出具|其他处理|缴纳费用|结转下年"
    ),
    "review_litigation": re.compile(r"行政复议|行政诉讼|结果维持|结果纠正|其他结果|尚未审结|直接起诉|复议后起诉"),
}
# Words only the national template's tables (2019 and 2021) print. Rows of a part
# without them are an older table (2008–2018 reports: 收到申请数, 同意部分公开答复数 …)
# whose words overlap the template's; mapping it would invent a 2019-format table.
TEMPLATE_MARKS = {
    "active_disclosure": re.compile(r"第二十条|信息内容|制发件数|新制作|处理决定数量"),
    "applications": re.compile(r"本年新收|上年结转|结转下年"),
    "review_litigation": re.compile(r"结果维持|结果纠正|尚未审结"),
}
# A table without any sign word is taken by its position only when it is mostly
# numbers (the 15 counts of part 4 printed as a table of their own); a list of
# documents or a contact table under 二、 is not a report table.
MIN_NUMERIC_SHARE = 0.5


def read_html(data: bytes, *, source: str, http_charset: str | None) -> Reading:
    html, encoding, replaced = decode_html(data, http_charset)
    problems = [f"decode: {replaced} undecodable characters replaced ({encoding})"] if replaced else []
    try:
        # plain etree elements: lxml.html's element classes cost a Python call per node
        tree = etree.fromstring(_XML_DECLARATION.sub("", html, count=1), HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        tree, why = None, str(exc)
    else:
        why = "empty document"
    if tree is None:
        problems.append(f"html: not parseable as HTML ({why}); read as plain text")
        return Reading(text=html, problems=problems)
    meta = _meta(tree)
    root = _content_root(tree, html)
    tables: list[Grid] = []
    fallback = None
    if root is not None:
        marked = _flatten(root, tables)
    elif len(html) > MAX_TRAFILATURA_CHARS:
        problems.append(f"html: no report container, headings or tables found; a page of {len(html)} characters "
                        f"(over MAX_TRAFILATURA_CHARS, {MAX_TRAFILATURA_CHARS}): prose from its own text")
        marked = _flatten(tree, tables)
    else:
        problems.append("html: no report container, headings or tables found; prose from trafilatura")
        fallback = _trafilatura(html)
        marked = fallback.text
        tables = [build_grid(t) for t in tree.iter("table") if t.find(".//table") is None]
    grids, more = _grids_by_part(marked, tables)
    problems.extend(more)
    prose = _MARK_LINE.sub("", marked).replace("\n\n", "\n").strip()
    title = _title(tree, meta)
    page_text = _PageText(tree)
    reading = Reading(
        text=_with_title(title, prose),
        title=title,
        published=_published(meta, page_text),
        organization=_organization(title, meta, page_text),
        grids=grids,
        problems=problems,
    )
    if fallback is not None:
        reading.title = reading.title or fallback.title
    return reading


# --- The report's container and its text ------------------------------------------


def _content_root(tree: etree._Element, html: str) -> etree._Element | None:
    """A known CMS container, else the smallest element holding the report's headings and tables."""
    for needle, xpath in CONTENT_XPATHS:
        if needle not in html:
            continue
        for element in xpath(tree):
            if _has_text(element, MIN_CONTENT_CHARS):
                return element
    anchors = [t for t in tree.iter("table") if t.find(".//table") is None and _has_sign(t)]
    anchors += _heading_elements(tree)
    return _common_ancestor(anchors) if len(anchors) >= 2 else None


def _has_text(element: etree._Element, chars: int) -> bool:
    """At least `chars` characters of text, reading no further than needed."""
    seen = 0
    for fragment in element.itertext():
        seen += len(fragment.strip())
        if seen >= chars:
            return True
    return False


def _has_sign(table: etree._Element) -> bool:
    key = label_key(_text(table)[:4000])
    return any(sign.search(key) for sign in ROW_SIGNS.values())


def _heading_elements(tree: etree._Element) -> list[etree._Element]:
    """Elements whose own text is a part heading (二、主动公开政府信息情况 …)."""
    body = tree.find("body")
    if body is None:
        return []
    found = []
    for element in body.iter(*HEADING_TAGS):
        text = element.text
        if text and 4 <= len(text.strip()) <= 40 and ANY_HEADING.match(text):
            found.append(element)
    return found


def _common_ancestor(elements: list[etree._Element]) -> etree._Element:
    paths = [list(e.iterancestors())[::-1] + [e] for e in elements]
    common = paths[0][0]
    for level in zip(*paths, strict=False):
        if all(node is level[0] for node in level):
            common = level[0]
        else:
            break
    return common


def _is_chrome(element: etree._Element) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not names.strip() or not CHROME_CLASS.search(names):
        return False
    if element.find(".//table") is not None:
        return False
    return len(_text(element)) < CHROME_MAX_CHARS


def _flatten(root: etree._Element, tables: list[Grid]) -> str:
    """Text of `root`, one block per line; each innermost table as a marker line then its rows."""
    out: list[str] = []
    _walk(root, out, tables, top=True)
    lines = []
    # _SPACES never matches a newline: one sub over the text is the sub of each line
    for line in _SPACES.sub(" ", "".join(out)).split("\n"):
        line = line.strip(" ")
        stripped = line.strip()
        if stripped and not CHROME_LINE.match(stripped):
            lines.append(line)
    return "\n".join(lines)


def _walk(element: etree._Element, out: list[str], tables: list[Grid], top: bool = False) -> None:
    tag = element.tag
    if not isinstance(tag, str):  # comment or processing instruction: only its tail is text
        if element.tail:
            out.append(element.tail)
        return
    tag = tag.lower()
    if tag in SKIP_TAGS or (not top and _is_chrome(element)):
        pass
    elif tag == "table" and element.find(".//table") is None:
        out.append("\n" + _MARK.format(len(tables)) + "\n")
        grid = build_grid(element)
        tables.append(grid)
        out.append("\n".join("\t".join(row) for row in grid.printed_rows()) + "\n")
    elif tag == "br":
        out.append("\n")
    else:
        block = tag in BLOCK_TAGS
        if block:
            out.append("\n")
        if element.text:
            out.append(element.text)
        for child in element:
            _walk(child, out, tables)
        if block:
            out.append("\n")
        elif tag in ("td", "th"):  # a cell of a layout table (one that holds tables)
            out.append("\n")
    if element.tail and not top:
        out.append(element.tail)


@dataclass
class _Extracted:
    text: str
    title: str | None


def _trafilatura(html: str) -> _Extracted:
    """Prose and title of a page that has no container, headings or report tables.

    trafilatura's date is not used: without a labelled date it guesses one from a
    bare year ("2023年" → 2023-01-01); metadata.published() reads the text instead.
    """
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_tables=False, include_comments=False,
                                           favor_recall=True)
    if document is None:
        return _Extracted("", None)
    return _Extracted(document.text or "", document.title)


# --- Tables → parts ---------------------------------------------------------------


def _grids_by_part(marked: str, tables: list[Grid]) -> tuple[dict[str, Tokens], list[str]]:
    """Rows of each table part, by the sign words of each row, else by the part the table sits in."""
    position = _table_positions(marked)
    rows_by_part: dict[str, list[list[str]]] = {}
    problems: list[str] = []
    for index, grid in enumerate(tables):
        problems.extend(grid.problems)
        rows = [row for row in grid.printed_rows() if row]
        placed = position.get(index)
        for part, part_rows in _split_rows(rows, placed if placed in TABLE_PARTS else None):
            rows_by_part.setdefault(part, []).extend(part_rows)
    grids = {}
    for part, rows in rows_by_part.items():
        words = _ANY_SPACE.sub("", "".join(c for row in rows for c in row))
        if TEMPLATE_MARKS[part].search(words):
            grids[part] = Tokens(layout="html", rows=rows, stream=False)
        else:
            problems.append(f"html: the {part} table is not the national template's; not mapped")
    return grids, problems


def _table_positions(marked: str) -> dict[int, str]:
    """table index -> key of the part whose heading last precedes it."""
    parts = find_parts(marked)
    out = {}
    for m in _MARK_LINE.finditer(marked):
        inside = [p.key for p in parts if p.heading_start <= m.start()]
        if inside:
            out[int(m.group(1))] = inside[-1]
    return out


def _row_part(row: list[str]) -> str | None:
    # The sign words are plain CJK, which NFKC leaves alone: dropping whitespace is
    # enough here, and label_key()'s NFKC of every row would cost more than the grid.
    key = _ANY_SPACE.sub("", "".join(c for c in row if not is_value_cell(c)))
    if not key:
        return None
    return _short_key_part(key) if len(key) < 128 else _key_part(key)


def _key_part(key: str) -> str | None:
    best, best_hits = None, 0
    for part, sign in ROW_SIGNS.items():
        hits = len(sign.findall(key))
        if hits > best_hits:
            best, best_hits = part, hits
    return best


_short_key_part = lru_cache(maxsize=1 << 14)(_key_part)  # row labels repeat across reports


def _split_rows(rows: list[list[str]], placed: str | None) -> list[tuple[str, list[list[str]]]]:
    """Consecutive runs of rows of one part. Rows without sign words go with the run they are in."""
    signs = [_row_part(row) for row in rows]
    current = placed or next((s for s in signs if s), None)
    if current is None:
        return []
    if placed and not any(signs) and not _mostly_numbers(rows):
        return []
    runs: list[tuple[str, list[list[str]]]] = []
    for row, sign in zip(rows, signs, strict=True):
        if sign and sign != current:
            current = sign
        if not runs or runs[-1][0] != current:
            runs.append((current, []))
        runs[-1][1].append(row)
    return runs


def _mostly_numbers(rows: list[list[str]]) -> bool:
    cells = [c for row in rows for c in row if not is_blank(c)]
    return bool(cells) and sum(is_value_cell(c) for c in cells) >= MIN_NUMERIC_SHARE * len(cells)


# --- Metadata ---------------------------------------------------------------------


def _meta(tree: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    # = //meta[@content and (@name or @property)]: iter() walks the tree in C, ~4x
    # cheaper than the XPath on a 3000-element page
    for element in _iter_document(tree, "meta"):
        if element.get("content") is None or (element.get("name") is None and element.get("property") is None):
            continue
        name = (element.get("name") or element.get("property") or "").strip().lower()
        content = (element.get("content") or "").strip()
        if name and content:
            out.setdefault(name, content)
    return out


def _iter_document(tree: etree._Element, tag: str) -> Iterator[etree._Element]:
    """The elements `//tag` selects, in document order: libxml2 puts content after
    </html> in a second top-level element, which tree.iter() alone would miss."""
    node = tree
    while (previous := node.getprevious()) is not None:
        node = previous
    while node is not None:
        if isinstance(node.tag, str):
            yield from node.iter(tag)
        node = node.getnext()


def _text(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


class _PageText:
    """The whole page's text, read only when no <meta> names the date or source.

    Not clean()ed: NFKC of a 100 KB page costs more than the rest of the reader,
    and the label patterns accept both full- and half-width colons.
    """

    def __init__(self, tree: etree._Element):
        self._tree, self._text = tree, None

    def __str__(self) -> str:
        if self._text is None:
            body = self._tree.find("body")
            self._text = _text(body if body is not None else self._tree)
        return self._text


def _title(tree: etree._Element, meta: dict[str, str]) -> str | None:
    """The first candidate shaped like a report title, else the first candidate at all."""
    first = None
    for candidate in _title_candidates(tree, meta):
        candidate = clean(candidate).strip()
        if not candidate:
            continue
        m = metadata.find_title(candidate)  # a report title, not a notice about reports
        if m:
            return metadata.title_of(m)
        first = first or candidate
    return first


def _title_candidates(tree: etree._Element, meta: dict[str, str]) -> Iterator[str]:
    """<meta> titles, then the page's <title> pieces, then headings (a whole-tree search, so last)."""
    yield from (meta[name] for name in TITLE_META if name in meta)
    for element in _iter_document(tree, "title"):
        yield from TITLE_PARTS.split(_text(element).strip())
    yield from (" ".join(_text(e).split()) for e in _TITLE_ELEMENTS(tree))


def _with_title(title: str | None, prose: str) -> str:
    """The title heads the text (metadata.find_title reads it) unless the container prints it."""
    if not title or label_key(title) in label_key(prose[:400]):
        return prose
    return f"{title}\n{prose}"


def _published(meta: dict[str, str], page_text: _PageText) -> str | None:
    for name in DATE_META:
        if name in meta:
            date = metadata.parse_date(meta[name])
            if date:
                return date
    m = _LABELLED_DATE.search(str(page_text))
    return metadata.parse_date(m.group(1)) if m else None


def _organization(title: str | None, meta: dict[str, str], page_text: _PageText) -> str | None:
    """The body named in the title (the report's author), else the page's source line."""
    m = metadata.find_title(title) if title else None
    if m and metadata.organization(title, m):
        return metadata.organization(title, m)
    for name in SOURCE_META:
        org = metadata.clean_organization(meta.get(name))
        if org:
            return org
    for m in _LABELLED_SOURCE.finditer(str(page_text)):
        org = metadata.clean_organization(m.group(1))
        if org:
            return org
    return None


def page_metadata(html: str) -> dict:
    """Title, publish date and issuing body a page prints about itself (meta tags, 标题,
    发布时间, 来源 lines) without reading its content: what an article page that wraps
    a report file says about that file."""
    try:
        tree = etree.fromstring(_XML_DECLARATION.sub("", html, count=1), HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        tree = None
    if tree is None:
        return {"title": None, "published": None, "organization": None}
    meta = _meta(tree)
    title = _title(tree, meta)
    page_text = _PageText(tree)
    return {"title": title, "published": _published(meta, page_text),
            "organization": _organization(title, meta, page_text)}
