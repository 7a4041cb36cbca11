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


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)


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


def label_key(text: str) -> str:
    """The matching key of a label: no whitespace, quotes, tags; 、 and . alike."""
    text = _HTML_TAG.sub("", clean(text))
    text = _LABEL_NOISE.sub("", text)
    return text.replace("、", ".")
