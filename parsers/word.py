"""Word documents → Reading.

.docx: paragraphs and tables in body order. A table becomes pipe-separated
text, one printed cell per "|" — a merged cell (gridSpan or vMerge) is one
printed cell, so it is written once, where it starts — and is read by the
same `pipe` layout as text dumps. .doc/.wps (OLE2 binary Word, as Word
97–2003 and WPS Office write them) are converted to .docx by LibreOffice
(parsers/office.py) and read the same way; where that fails the record's
problem says why (LibreOffice missing: how to install it).
"""

from __future__ import annotations

import io
import zipfile

from parsers.document import InputError, Reading

NOT_DOCUMENTS = {"Excel": {"Workbook", "Book"}, "PowerPoint": {"PowerPoint Document"}}
UNREAD_OLE = "format: Word 97-2003 / WPS binary document (.doc/.wps) not read: "


def _table_text(table) -> str:
    # python-docx repeats a merged cell at every grid position it covers; the
    # set holds the <w:tc> elements themselves (lxml proxies stay alive and
    # hash by identity while referenced), so each printed cell is written once
    seen: set = set()
    lines = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs).replace("|", "/").strip())
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def read_docx(data: bytes, *, source: str) -> Reading:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{source}: unreadable .docx ({type(exc).__name__})") from None
    blocks = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(Paragraph(child, document).text)
        elif tag == "tbl":
            blocks.append(_table_text(Table(child, document)))
    core = document.core_properties
    title = core.title if core.title and "年度报告" in core.title else None
    from parsers.metadata import property_date

    return Reading(text="\n".join(blocks), title=title, is_file=True,
                   property_published=property_date(core.created or core.modified))


def read_ole(data: bytes, *, source: str) -> Reading:
    import olefile

    try:
        streams = {"/".join(s) for s in olefile.OleFileIO(io.BytesIO(data)).listdir()}
    except OSError:
        raise InputError(f"{source}: a damaged OLE2 (Office 97-2003) file") from None
    # Word and WPS Office write a WordDocument stream; MS Works .wps others, which
    # LibreOffice reads too. Spreadsheets and slides are not report documents.
    other = next((kind for kind, names in NOT_DOCUMENTS.items() if streams & names), None)
    if other and "WordDocument" not in streams:
        return Reading(text="", problems=[f"format: {other} 97-2003 binary file is not a report document; not read"])
    from parsers.office import ConversionError, to_docx

    try:
        converted = to_docx(data, suffix=".doc")
    except ConversionError as exc:
        return Reading(text="", problems=[UNREAD_OLE + str(exc)])
    try:
        reading = read_docx(converted, source=source)
    except InputError as exc:
        return Reading(text="", problems=[UNREAD_OLE + f"LibreOffice's .docx was unreadable ({exc})"])
    return reading
