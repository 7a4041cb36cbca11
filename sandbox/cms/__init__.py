"""One module per CMS family. Each defines where things live and how listings page:

    column_path(key, n) -> str          the column's entry URL path (what a registry lists)
    article_path(column, id, date)      an article page
    attachment_path(column, id, date, ext)   a PDF/DOCX attachment
    CONTAINER = (open, close)           the tags around article content
    SERVER                              the Server header the family's sites send
    listing_routes(site, column) -> {path: callable() -> str}   static listing pages (HTML)
    api(site, request) -> Response | None                       dynamic endpoints
"""

from __future__ import annotations

import importlib

FAMILIES = ("trs", "hanweb", "jsonapi", "static", "gkmlpt")


def family(name: str):
    if name not in FAMILIES:
        raise KeyError(name)
    return importlib.import_module(f"sandbox.cms.{name}")


def paginate(entries: list, size: int) -> list[list]:
    """Entries in pages of `size`; an empty column still has one (empty) page."""
    return [entries[i:i + size] for i in range(0, len(entries), size)] or [[]]
