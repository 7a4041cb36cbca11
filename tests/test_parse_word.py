"""Word documents: a .docx report with merged cells, as Word writes it; damaged
and non-Word OLE2 binaries yield a record that says why they were not read
(real .doc/.wps: tests/test_parse_word_binary.py)."""

from __future__ import annotations

import io

import docx
import olefile  # noqa: F401  (the reader's dependency must be installed)

from parsers import keys, parse_document

APPS = {  # row -> 7 printed cells; other rows all "0"
    "new_received": ["5", "1", "0", "0", "2", "0", "8"],
    "carried_over": ["1", "0", "0", "0", "0", "0", "1"],
    "granted": ["3", "1", "0", "0", "1", "0", "5"],
    "unable_not_held": ["2", "0", "0", "0", "1", "0", "3"],
    "handled_total": ["5", "1", "0", "0", "2", "0", "8"],
    "carried_forward": ["1", "0", "0", "0", "0", "0", "1"],
}


def _report_docx() -> bytes:
    d = docx.Document()
    d.core_properties.title = "某县人民政府2022年政府信息公开工作年度报告"
    d.add_paragraph("某县人民政府2022年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    d.add_paragraph("2022年，我县认真贯彻落实《条例》。")
    d.add_paragraph("二、主动公开政府信息情况")
    t = d.add_table(rows=3, cols=4)
    t.cell(0, 0).merge(t.cell(0, 3)).text = "第二十条第（一）项"
    for i, text in enumerate(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]):
        t.cell(1, i).text = text
    for i, text in enumerate(["规章", "2", "0", "9"]):
        t.cell(2, i).text = text
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    rows = keys.APPLICATION_ROWS["2021"]
    t = d.add_table(rows=3 + len(rows), cols=10)
    t.cell(0, 0).merge(t.cell(2, 2)).text = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    t.cell(0, 3).merge(t.cell(0, 9)).text = "申请人情况"
    t.cell(1, 3).merge(t.cell(2, 3)).text = "自然人"
    t.cell(1, 4).merge(t.cell(1, 8)).text = "法人或其他组织"
    t.cell(1, 9).merge(t.cell(2, 9)).text = "总计"
    for i, col in enumerate(keys.APPLICATION_COLUMNS[1:6]):
        t.cell(2, 4 + i).text = keys.APPLICATION_COLUMN_LABELS[col]
    for r, (key, group, label) in enumerate(rows, start=3):
        t.cell(r, 1 if group else 0).text = group or label
        if group:
            t.cell(r, 2).text = label
        for c, value in enumerate(APPS.get(key, ["0"] * 7)):
            t.cell(r, 3 + c).text = value
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t = d.add_table(rows=2, cols=15)
    for i in range(15):
        t.cell(0, i).text = keys.OUTCOME_LABELS[keys.OUTCOMES[i % 5]]
        t.cell(1, i).text = "1" if i == 0 else "1" if i == 4 else "0"
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph("公开质量有待提高。")
    d.add_paragraph("六、其他需要报告的事项")
    d.add_paragraph("无。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_report_every_cell():
    r = parse_document(_report_docx(), source="report.docx", filename="report.docx")
    assert (r["title"], r["organization"], r["year"], r["format"]) == (
        "某县人民政府2022年政府信息公开工作年度报告", "某县人民政府", 2022, "2021")
    apps = r["tables"]["applications"]
    assert list(apps) == list(keys.row_keys("applications", "2021"))
    for key in apps:
        assert [apps[key][c]["raw"] for c in keys.APPLICATION_COLUMNS] == APPS.get(key, ["0"] * 7), key
    assert r["tables"]["active_disclosure"] == {
        "rules": {"issued": {"value": 2, "raw": "2"}, "repealed": {"value": 0, "raw": "0"}, "in_force": {"value": 9, "raw": "9"}}
    }
    review = r["tables"]["review_litigation"]
    assert [review[c]["value"] for c in keys.REVIEW_COLUMNS] == [1, 0, 0, 0, 1] + [0] * 10
    assert {c["status"] for c in r["checks"]} == {"passed"}
    assert r["sections"]["other_matters"] == "无。"


def test_damaged_doc_binary_is_a_clear_problem():
    # a minimal OLE2 compound file with an empty WordDocument stream: LibreOffice
    # cannot convert it (or is absent); the record says the document was not read
    ole = _ole_with_stream("WordDocument")
    r = parse_document(ole, source="report.doc", filename="report.doc")
    assert r["problems"][0].startswith("format: Word 97-2003 / WPS binary document (.doc/.wps) not read: ")
    assert r["tables"] == {}


def test_spreadsheet_binary_is_not_a_report():
    r = parse_document(_ole_with_stream("Workbook"), source="report.xls", filename="report.xls")
    assert r["problems"][0] == "format: Excel 97-2003 binary file is not a report document; not read"


def _ole_with_stream(name: str) -> bytes:
    """Write a tiny OLE2 file (olefile only reads, so build one by hand: 512-byte
    header, one FAT sector, one directory sector, one mini stream-less stream)."""
    import struct

    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 44, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0, 0)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<IIII", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFE)
    directory = bytearray(sector)

    def entry(index, entry_name, kind, child, start, size):
        off = index * 128
        encoded = (entry_name + "\x00").encode("utf-16-le")
        directory[off : off + len(encoded)] = encoded
        struct.pack_into("<HBB", directory, off + 64, len(encoded), kind, 1)
        struct.pack_into("<III", directory, off + 68, 0xFFFFFFFF, 0xFFFFFFFF, child)
        struct.pack_into("<II", directory, off + 116, start, size)

    entry(0, "Root Entry", 5, 1, 0xFFFFFFFE, 0)
    entry(1, name, 2, 0xFFFFFFFF, 2, 4096)
    data = bytes(sector) * 8
    fat_chain = bytearray(fat)
    for s in range(2, 9):
        struct.pack_into("<I", fat_chain, 4 * s, s + 1)
    struct.pack_into("<I", fat_chain, 4 * 9, 0xFFFFFFFE)
    return bytes(header) + bytes(fat_chain) + bytes(directory) + data
