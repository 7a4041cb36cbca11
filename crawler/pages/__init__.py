"""Page classes: pure parsers of one fetched page each (no requests, no I/O).

One module per CMS family. Each class names its selectors as constants, lists
the saved example pages it was written against (tests/fixtures/crawler/), and
raises `SelectorCountError` when a selector finds too few or too many items,
so a portal redesign fails loudly instead of silently finding nothing.
"""

from crawler.pages.base import Link, SelectorCountError, expect_count

__all__ = ["Link", "SelectorCountError", "expect_count"]
