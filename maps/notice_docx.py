"""A published 通报 as a Word document (python-docx), the format offices edit and forward: A4, 仿宋 body, 黑体
headings, the document number over a centred title, tables with the 红榜 rows red and the 黑榜 rows grey, the
exposures' photos embedded, the issuer and date at the end.

Byte for byte the same for the same snapshot: everything comes from the snapshot and its stored photos, the core
properties carry the publishing time (python-docx would write the time of rendering), and the package is
re-zipped with every member dated at that time, in the same order (a zip stores each member's mtime).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from maps.notice_document import Block, blocks

BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋", "黑体", "宋体"
# What XML 1.0 cannot hold (python-docx refuses it): a control character typed into a description is dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
PHOTO_WIDTH = Cm(7.2)
TEXT_WIDTH = Cm(21 - 2.8 - 2.6)  # A4 less the margins
MARK_FILL = {"red": "FDE2E1", "black": "E4E4E4"}


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _font(run_or_style: Any, name: str, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)  # Chinese text takes the East Asian font, not the Latin one


def _setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(doc.styles["Normal"], BODY_FONT, 14)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.35
    for name, size in (("Heading 1", 16), ("Heading 2", 15)):
        style = doc.styles[name]
        _font(style, HEADING_FONT, size, bold=False)
        style.font.color.rgb = RGBColor(0, 0, 0)


def _shade(cell: Any, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _wide(text: str) -> int:
    """How wide a text prints: a Chinese character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _widths(b: Block) -> list[int]:
    """Column widths (EMU) in proportion to each column's longest text (within bounds), filling the line: names and
    places get room, numbers do not."""
    longest = [max([_wide(b.header[i])] + [_wide(r[i]) for r in b.rows]) for i in range(len(b.header))]
    weights = [min(max(n, 6), 28) for n in longest]
    return [int(TEXT_WIDTH * w / sum(weights)) for w in weights]


def _table(doc: Any, b: Block) -> None:
    table = doc.add_table(rows=1, cols=len(b.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _widths(b)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice and WPS lay out by; Word reads the cells'
    size = 9 if len(b.header) > 6 else 10.5
    for cell, name, width in zip(table.rows[0].cells, b.header, widths, strict=True):
        cell.text = ""
        cell.width = width
        _font(cell.paragraphs[0].add_run(_xml(name)), HEADING_FONT, size)
        _shade(cell, "F2F2F2")
    for i, values in enumerate(b.rows):
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths, strict=True):
            cell.text = ""
            cell.width = width
            _font(cell.paragraphs[0].add_run(_xml(value)), BODY_FONT, size)
            mark = b.marks[i] if i < len(b.marks) else ""
            if mark in MARK_FILL:
                _shade(cell, MARK_FILL[mark])
    doc.add_paragraph()


def _photos(doc: Any, b: Block, photos: dict[int, bytes]) -> None:
    shown = [seq for seq in b.photos if seq in photos]
    if not shown:
        return
    table = doc.add_table(rows=1, cols=len(shown))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, seq in zip(table.rows[0].cells, shown, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run().add_picture(BytesIO(photos[seq]), width=PHOTO_WIDTH)
        caption = cell.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(caption.add_run(f"图{seq}"), BODY_FONT, 10.5)


def _paragraph(doc: Any, text: str, *, align: Any = None, font: str = BODY_FONT, size: float | None = None,
               bold: bool | None = None, indent: bool = False) -> None:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(28)
    lines = _xml(text).split("\n")
    for i, line in enumerate(lines):
        run = p.add_run(line)
        _font(run, font, size, bold)
        if i < len(lines) - 1:
            run.add_break()


def _draw(doc: Any, b: Block, photos: dict[int, bytes]) -> None:
    if b.kind == "number":
        _paragraph(doc, b.text, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    elif b.kind == "title":
        _paragraph(doc, b.text, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=20, bold=True)
    elif b.kind == "heading":
        _font(doc.add_heading("", level=1).add_run(_xml(b.text)), HEADING_FONT, 16, bold=False)
    elif b.kind == "subheading":
        _font(doc.add_heading("", level=2).add_run(_xml(b.text)), "楷体", 15, bold=False)
    elif b.kind == "item":
        _paragraph(doc, b.text, bold=True, indent=True)
    elif b.kind == "note":
        _paragraph(doc, b.text, size=12, indent=True)
    elif b.kind == "table":
        _table(doc, b)
    elif b.kind == "photos":
        _photos(doc, b, photos)
    elif b.kind == "signature":
        doc.add_paragraph()
        _paragraph(doc, b.text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    else:
        _paragraph(doc, b.text, indent=True)


def _fixed_zip(data: bytes, at: datetime) -> bytes:
    """The same package with every member dated `at` (a zip keeps each member's time of writing)."""
    stamp = (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            member.create_system = 0
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def render(snapshot: dict[str, Any], photos: dict[int, bytes]) -> bytes:
    """The .docx of a snapshot and its photos (seq → JPEG)."""
    doc = Document()
    _setup(doc)
    for b in blocks(snapshot):
        _draw(doc, b, photos)
    published = datetime.fromisoformat(snapshot["published_at"])
    utc = published.astimezone(UTC).replace(tzinfo=None)
    props = doc.core_properties
    props.title, props.author = _xml(snapshot["title"]), _xml(snapshot["issuer"])
    props.last_modified_by = props.author
    props.identifier, props.subject, props.keywords = snapshot["number"], snapshot["period"]["label"], "创城通报"
    props.created = props.modified = props.last_printed = utc
    props.revision = 1
    buf = BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue(), published)
