"""Text normalisation shared by every stage.

Reports mix full- and half-width punctuation, insert spaces and line breaks
inside words ("商业 企业", "不予\\n公开") and use 、 or . after numbers. Matching
labels works on a normalised key that drops all of that.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Full-width forms that NFKC leaves alone or that reports use interchangeably.
_PUNCT_MAP = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "：": ":",
        "，": ",",
        "；": ";",
        "．": ".",
        "、": "、",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "－": "-",
        "−": "-",
        "—": "—",
        "\u00a0": " ",
        "\u3000": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)

_SPACE = re.compile(r"\s+")
_LABEL_NOISE = re.compile(r"[\s\"'“”‘’「」《》<>/\\|*#•·]")
_HTML_TAG = re.compile(r"<[^>]{0,40}>")


# NFKC(s) is NFKC of s with any character replaced by its NFKD (NFKC is NFC of
# NFKD, which decomposes character by character, then reorders marks over the
# whole string). Reports are full of full-width ，（）：; replacing those first
# leaves most texts already normal, where normalize() is only a quick check
# instead of a decomposition and recomposition of every character (~15x dearer).
_PRE_NFKC = tuple(
    (c, unicodedata.normalize("NFKD", c)) for c in "，（）：；．－／％！？\u3000\xa0０１２３４５６７８９"
)
# _PUNCT_MAP as str.replace steps (no value is a key, so the order is free), only
# for characters NFKC output can hold: the full-width ones are gone by then.
_POST_NFKC = tuple(
    (chr(k), v) for k, v in _PUNCT_MAP.items() if chr(k) != v and unicodedata.is_normalized("NFKC", chr(k))
)


def _clean(text: str) -> str:
    # = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP), without a
    # per-character dict lookup; `in` is a memchr-speed scan.
    for char, decomposed in _PRE_NFKC:
        if char in text:
            text = text.replace(char, decomposed)
    text = unicodedata.normalize("NFKC", text)
    for char, folded in _POST_NFKC:
        if char in text:
            text = text.replace(char, folded)
    return text


# Table cells repeat endlessly ("0", labels): cache the short strings. A report's
# whole text is cleaned by several metadata stages in a row: keep the last few.
_clean_short = lru_cache(maxsize=1 << 16)(_clean)
_clean_long = lru_cache(maxsize=4)(_clean)


def clean(text: str) -> str:
    """NFKC with Chinese punctuation folded to ASCII; whitespace kept."""
    return _clean_short(text) if len(text) < 64 else _clean_long(text)


def squash(text: str) -> str:
    """clean() with runs of whitespace folded to one space and trimmed."""
    return _SPACE.sub(" ", clean(text)).strip()


def _label_key(text: str) -> str:
    text = _HTML_TAG.sub("", clean(text))
    text = _LABEL_NOISE.sub("", text)
    return text.replace("、", ".")


# Labels (and the growing label buffers of rows.find_rows) repeat across reports.
_label_key_short = lru_cache(maxsize=1 << 14)(_label_key)


def label_key(text: str) -> str:
    """The matching key of a label: no whitespace, quotes, tags; 、 and . alike."""
    return _label_key_short(text) if len(text) < 128 else _label_key(text)
