"""Split a report's text into its six parts by their headings.

Headings are found in order (part 2 is searched after part 1 …), so a row
label such as 一、本年新收… or 四、结转下年度… is never taken for a heading.
Works on text with line breaks and on dumps where everything is on one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.keys import SECTIONS

_NUM = "一二三四五六七"
# part key -> words that follow the 一、/二、… of its heading (within a few chars)
HEADING_WORDS = {
    "overview": r"(?:总体情况|概述|基本情况|总体概况)",
    "active_disclosure": r"主动公开[^\n。]{0,12}?情况",
    "applications": r"(?:收到和处理|依申请公开)[^\n。]{0,12}?情况",
    "review_litigation": r"[^\n。]{0,16}?(?:复议|诉讼)[^\n。]{0,16}?情况",
    "problems_and_improvements": r"[^\n。]{0,14}?(?:存在的?主要问题|存在问题)[^\n。]{0,10}?(?:情况|措施)",
    "other_matters": r"其他需要报告的?事项",
}
_HEADING_LEAD = r"(?:^|(?<=[\s#>。；;:：!！]))[# \t]*"


@dataclass(frozen=True)
class Part:
    key: str
    heading_start: int
    body_start: int
    end: int


def _headings(key: str, ordinal: str) -> tuple[re.Pattern, ...]:
    # e.g. "三、收到和处理…" or "#### 四、政府信息公开行政复议…"; the second, looser
    # pattern is for dumps where cells and headings are glued ("…32.52元三、收到和处理…")
    pattern = rf"[{ordinal}][、.．]\s*{HEADING_WORDS[key]}"
    return re.compile(_HEADING_LEAD + pattern), re.compile(pattern)


# (key, strict pattern, loose pattern) per part; pre-2019 reports shift later parts by one
_PART_PATTERNS = tuple((key, *_headings(key, _NUM[index : index + 2])) for index, (key, _label) in enumerate(SECTIONS))
_LEAD_CHARS = "# \t"


def _search_heading(strict: re.Pattern, loose: re.Pattern, text: str, pos: int) -> re.Match | None:
    """strict.search(text, pos) or loose.search(text, pos), scanning less.

    strict is _HEADING_LEAD + loose, and _HEADING_LEAD ends in [# \t]*, which no
    heading's first character (一 …) can continue: a strict match at p is a
    loose match at the end of the [# \t] run from p. So no loose match means
    no strict one, and the leftmost strict match starts no earlier than the
    [# \t] run before the leftmost loose match. The loose pattern starts with a
    character class, which the regex engine skips to in C; the strict one's
    lookbehind makes it try every position. (search(text, start) still sees the
    characters before `start` for the lookbehind and matches ^ only at 0.)
    """
    first = loose.search(text, pos)
    if first is None:
        return None
    start = first.start()
    while start > pos and text[start - 1] in _LEAD_CHARS:
        start -= 1
    return strict.search(text, start) or first


def find_parts(text: str) -> list[Part]:
    """The parts found, in document order, each with its body span."""
    found: list[tuple[str, int, int]] = []
    pos = 0
    for key, strict, loose in _PART_PATTERNS:
        m = _search_heading(strict, loose, text, pos)
        if not m:
            continue
        found.append((key, m.start(), m.end()))
        pos = m.end()
    parts = []
    for i, (key, start, body) in enumerate(found):
        end = found[i + 1][1] if i + 1 < len(found) else len(text)
        parts.append(Part(key, start, body, end))
    return parts


def split_sections(text: str) -> dict[str, str]:
    """part key -> its text, without the heading."""
    return {p.key: text[p.body_start : p.end].strip() for p in find_parts(text)}


def part_text(text: str, key: str) -> str | None:
    for p in find_parts(text):
        if p.key == key:
            return text[p.body_start : p.end]
    return None
