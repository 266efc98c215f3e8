"""The report as a DOCX laid out as Nghị định 30/2020/NĐ-CP (Phụ lục I) asks.

A4 portrait, margins 20/20/30/15 mm, Times New Roman; a two-column header without borders
(parent body regular capitals, issuing body bold capitals with a short rule, "Số:"; national
title bold capitals, motto bold with a rule, place and date in italics); "BÁO CÁO" and the
trích yếu bold and centred with a short rule; body 14 pt justified with a 1.27 cm first-line
indent and 6 pt after; "Nơi nhận:" bold italic 12 pt with recipients in 11 pt beside the
signature block; page numbers centred at the top from page 2 (different first-page header).
Pages break as a clerk would break them: headings and lead-in paragraphs (ending in ":")
keep with what follows, the body's closing paragraph keeps with the signature block, whose row
never splits. Every properties element lists its children in ECMA-376's order (Word repairs,
and drops, what is out of place). The output is deterministic: fixed core properties and ZIP
timestamps.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import parse_xml
from docx.shared import Cm, Length, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from reports.archive import normalise_zip
from reports.chart import completion_by_unit_png
from reports.snapshot import Header, ReportSnapshot, SignatureFacts

FONT = "Times New Roman"
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_WIDTH_MM = 210 - 30 - 15
HEADER_COLUMNS_MM = (62, TEXT_WIDTH_MM - 62)
SIGNATURE_COLUMNS_MM = (75, TEXT_WIDTH_MM - 75)
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
INDENT = Cm(1.27)
CELL_PADDING_MM = 1.9  # Word's default left/right cell margin (0.19 cm)
BREAKS = re.compile("[\t\r\n]")  # characters python-docx writes as w:tab or w:br
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# A document's symbol with its hyphens: "61/KH-UBND", "20/2020/QĐ-TTg", "61/2018/NĐ-CP".
SYMBOL = re.compile(r"\b\d+(?:/\d{4})?/\w+(?:-\w+)+")
# The decree's rule under the issuing body and the trích yếu is 1/3 to 1/2 as long as the line
# of text above it.
RULE_FRACTION = 0.4
# Advances of bold Times New Roman in ems by kind of character: a least-squares fit to the
# widths PIL measures in Liberation Serif Bold (metric-compatible) for 15 Vietnamese bodies'
# names and trích yếu, each within 7%; tests/reports/test_docx_header.py measures again. An
# estimate from the text alone keeps the output the same whatever fonts the server has, and
# a 16% error still keeps RULE_FRACTION's rule within 1/3 to 1/2.
CAPITAL_EM, SPACE_EM, OTHER_EM = 0.68, 0.39, 0.455
PT_MM = 25.4 / 72
# The kinds of organ whose name the decree's headers break after: "ỦY BAN NHÂN DÂN" above
# "TỈNH QUẢNG NGÃI".
ORGAN_KINDS = ("ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
# Successors of w:pBdr in CT_PPrBase (ECMA-376 Part 1 §17.3.1.26) that python-docx may write.
AFTER_BORDER = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)

Container = DocxDocument | _Cell


def _set_fonts(r_pr_parent: Any) -> None:
    """Times New Roman for every script slot (Vietnamese letters use ascii/hAnsi/cs)."""
    r_pr = r_pr_parent.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def _paragraph(
    container: Container,
    text: str = "",
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align: WD_PARAGRAPH_ALIGNMENT = WD_ALIGN_PARAGRAPH.CENTER,
    space_before: float = 0,
    space_after: float = 0,
    first_line_indent: Length | None = None,
    reuse_first: bool = False,
    keep_with_next: bool = False,
) -> Paragraph:
    paragraph: Paragraph
    if reuse_first and isinstance(container, _Cell) and not container.paragraphs[0].text:
        paragraph = container.paragraphs[0]
    else:
        paragraph = container.add_paragraph()
    paragraph.alignment = align
    pf = paragraph.paragraph_format
    pf.space_before, pf.space_after = Pt(space_before), Pt(space_after)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if first_line_indent is not None:
        pf.first_line_indent = first_line_indent
    if keep_with_next:
        pf.keep_with_next = pf.keep_together = True
    if text:
        breaks = BREAKS.search(text) is not None
        run = paragraph.add_run(text if breaks else None)
        if not breaks:  # python-docx writes the breaks; symbols' hyphens are written here
            run._r.extend(list(parse_xml(f"<w:r {nsdecls('w')}>{_run_content(text)}</w:r>")))
        run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
        run.font.name = FONT
        _set_fonts(run._r)
    return paragraph


def _inner_mm(container: Container, column_mm: float) -> float:
    """The width text has in a column (a cell loses its padding) or the text block."""
    return column_mm - (2 * CELL_PADDING_MM if isinstance(container, _Cell) else 0)


def text_width_mm(text: str, *, size: float) -> float:
    """An estimate of the width of one line of bold Times New Roman (see CAPITAL_EM)."""
    text = unicodedata.normalize("NFC", text)
    capitals, spaces = sum(c.isupper() for c in text), text.count(" ")
    ems = capitals * CAPITAL_EM + spaces * SPACE_EM + (len(text) - capitals - spaces) * OTHER_EM
    return ems * size * PT_MM


def rule_width_mm(lines: list[str], *, size: float, available_mm: float) -> float:
    """RULE_FRACTION of the widest line of bold text, a line that wraps being as wide as the
    room it has."""
    widest = max(min(text_width_mm(line, size=size), available_mm) for line in lines)
    return round(RULE_FRACTION * widest, 1)


def _rule(
    container: Container, *, width_mm: float, column_mm: float, keep_with_next: bool = False
) -> None:
    """A short horizontal rule: an empty paragraph with a bottom border, indented so that the
    border is width_mm long and centred in a column (or the text block) column_mm wide."""
    paragraph = _paragraph(container, keep_with_next=keep_with_next)
    side = max((_inner_mm(container, column_mm) - width_mm) / 2, 0)
    pf = paragraph.paragraph_format
    pf.left_indent, pf.right_indent = Mm(side), Mm(side)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(6)  # the rule sits 6 pt under the text above it
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p_pr.insert_element_before(borders, *AFTER_BORDER)


def _table(document: DocxDocument, widths_mm: tuple[float, ...], rows: int = 1) -> Any:
    """A borderless table with fixed column widths; LibreOffice reads the w:tblGrid widths,
    Word the cell widths, so both are set."""
    table = document.add_table(rows=rows, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed
    # python-docx's table starts with <w:tblW w:type="auto" w:w="0"/>, in its place.
    width = table._tbl.tblPr.find(qn("w:tblW"))
    width.set(qn("w:w"), str(int(Mm(sum(widths_mm)).twips)))
    width.set(qn("w:type"), "dxa")
    for row in table.rows:
        # A row never splits across pages: the header's and the signature's stay whole.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for index, column_mm in enumerate(widths_mm):
        table.columns[index].width = Mm(column_mm)  # w:gridCol
        for row in table.rows:
            row.cells[index].width = Mm(column_mm)  # w:tcW
    return table


def _add_page_number_header(document: DocxDocument) -> None:
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # an empty header on page 1
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "26")
    r_pr.append(fonts)
    r_pr.append(size)
    run.append(r_pr)
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _set_fonts(normal.element)


def issuing_body_lines(name: str) -> list[str]:
    """The issuing body's name as the decree's headers set it: a People's Committee or
    Council on a line of its own above its place ("ỦY BAN NHÂN DÂN" / "TỈNH QUẢNG NGÃI");
    other names wrap where the column ends."""
    for kind in ORGAN_KINDS:
        rest = name[len(kind) :].strip()
        if name.startswith(kind + " ") and rest:
            return [kind, rest]
    return [name]


def _header(document: DocxDocument, header: Header) -> None:
    left_mm, right_mm = HEADER_COLUMNS_MM
    # Two rows, so that "Số:" and the place and date stand on one line whatever the bodies'
    # names wrap to.
    table = _table(document, HEADER_COLUMNS_MM, rows=2)
    left, right = table.rows[0].cells
    # A body with no parent body (a province's People's Committee) heads the column alone.
    if header.parent_body:
        _paragraph(left, header.parent_body, size=13, reuse_first=True)
    lines = issuing_body_lines(header.issuing_body)
    _paragraph(left, "\n".join(lines), size=13, bold=True, reuse_first=True)
    room = _inner_mm(left, left_mm)
    _rule(left, width_mm=rule_width_mm(lines, size=13, available_mm=room), column_mm=left_mm)
    _paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, reuse_first=True)
    _paragraph(right, MOTTO, size=13, bold=True)
    # The decree draws the motto's rule as long as the motto.
    _rule(right, width_mm=round(text_width_mm(MOTTO, size=13), 1), column_mm=right_mm)
    number_cell, date_cell = table.rows[1].cells
    _paragraph(number_cell, header.number_line, size=13, space_before=6, reuse_first=True)
    _paragraph(date_cell, header.place_date, size=14, italic=True, space_before=6, reuse_first=True)

    _paragraph(
        document, header.document_type, size=14, bold=True, space_before=18, keep_with_next=True
    )
    _paragraph(document, header.summary, size=14, bold=True, keep_with_next=True)
    summary_rule = rule_width_mm([header.summary], size=14, available_mm=TEXT_WIDTH_MM)
    _rule(document, width_mm=summary_rule, column_mm=TEXT_WIDTH_MM, keep_with_next=True)
    if header.addressee:
        _paragraph(
            document, f"Kính gửi: {header.addressee}", size=14, space_before=12, keep_with_next=True
        )
    _paragraph(document, "", space_after=6)


# The body's paragraphs by look: a paragraph style each (name shown in Word, ASCII id), holding
# exactly the formatting _paragraph gives, so each of the thousands of paragraphs of a
# province's report names its style instead of repeating the formatting. Headings, lead-ins
# (a paragraph ending in ":") and the closing paragraph keep with what follows them, whole.
BODY = {"align": JUSTIFY, "first_line_indent": INDENT}
KEEP = {"keep_with_next": True}
BODY_STYLES: dict[str, tuple[str, dict[str, Any]]] = {
    "NhiemvuHeading1": ("Báo cáo - Mục", {**BODY, **KEEP, "bold": True, "space_before": 6}),
    "NhiemvuHeading2": ("Báo cáo - Tiểu mục", {**BODY, **KEEP, "bold": True}),
    "NhiemvuBody": ("Báo cáo - Nội dung", BODY),
    "NhiemvuLeadIn": ("Báo cáo - Câu dẫn", {**BODY, **KEEP}),
    "NhiemvuClosing": ("Báo cáo - Đoạn kết", {**BODY, **KEEP}),
    "NhiemvuCaption": ("Báo cáo - Chú thích", {"size": 12, "italic": True}),
}


def _add_body_styles(document: DocxDocument) -> None:
    """The body styles, each based on Normal with the paragraph and run properties of a
    paragraph _paragraph builds with its look."""
    normal = document.styles["Normal"]
    for style_id, (name, look) in BODY_STYLES.items():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        element = style.element
        element.styleId = style_id
        built = _paragraph(document, "-", space_after=6, **look)._p
        built.getparent().remove(built)
        element.get_or_add_pPr().extend(list(built.get_or_add_pPr()))
        element.get_or_add_rPr().extend(list(built.r_lst[0].get_or_add_rPr()))


def _text_xml(text: str) -> str:
    space = ' xml:space="preserve"' if len(text.strip()) < len(text) else ""
    return f"<w:t{space}>{escape(text)}</w:t>"


def _run_content(text: str) -> str:
    """A run's text, the hyphens of document symbols ("61/KH-UBND") written as w:noBreakHyphen:
    a clerk never sees a symbol broken over two lines ("61/KH-" / "UBND"). Readers (and
    python-docx's text) take it for "-"."""
    hyphens = [
        symbol.start() + offset
        for symbol in SYMBOL.finditer(text)
        for offset, character in enumerate(symbol.group())
        if character == "-"
    ]
    parts = [text[a + 1 : b] for a, b in zip([-1, *hyphens], [*hyphens, len(text)], strict=True)]
    return "<w:noBreakHyphen/>".join(_text_xml(part) for part in parts)


class _BodyParagraphs:
    """Adds the body's paragraphs at the end of the document, fast: a province's report has
    tens of thousands. python-docx's add_paragraph looks for the section properties that close
    the body from its first child on every call (quadratic) and its setters cost about a
    millisecond a paragraph; so the paragraphs (a style and a run each) are written as XML
    text, parsed in one go and moved before the section properties, found once."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.end = document.element.body.sectPr
        self.pending: list[str] = []

    def add(self, text: str, style_id: str) -> None:
        start = f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>'
        if not text:
            self.pending.append(f"{start}</w:p>")
        elif BREAKS.search(text) is None:
            self.pending.append(f"{start}<w:r>{_run_content(text)}</w:r></w:p>")
        else:
            # Tabs and line breaks: python-docx writes them as w:tab and w:br.
            self.flush()
            self.pending.append(f"{start}<w:r/></w:p>")
            self.flush()
            self.end.getprevious().r_lst[0].text = text

    def flush(self) -> None:
        """Parse the paragraphs written so far and move them into the document."""
        if not self.pending:
            return
        # python-docx's parser drops whitespace-only text, except under xml:space="preserve".
        body = parse_xml(f"<w:body {nsdecls('w')}>{''.join(self.pending)}</w:body>")
        self.pending.clear()
        for paragraph in list(body):
            self.end.addprevious(paragraph)

    def picture(self, png: bytes, caption: str) -> None:
        self.flush()
        picture = _paragraph(self.document, space_before=6, keep_with_next=True)
        picture.add_run().add_picture(io.BytesIO(png), width=Mm(150))
        self.add(caption, "NhiemvuCaption")


def _paragraph_style(text: str, *, last: bool) -> str:
    """The body's last paragraph closes it (kept with the signature block); one ending in ":"
    leads in to what follows."""
    if last:
        return "NhiemvuClosing"
    return "NhiemvuLeadIn" if text.rstrip().endswith(":") else "NhiemvuBody"


def _body(document: DocxDocument, snapshot: ReportSnapshot) -> None:
    _add_body_styles(document)
    paragraphs = _BodyParagraphs(document)
    last = max(
        (i for i, block in enumerate(snapshot.blocks) if block.kind == "paragraph"), default=-1
    )
    for index, block in enumerate(snapshot.blocks):
        if block.kind == "heading":
            paragraphs.add(block.text, "NhiemvuHeading1" if block.level == 1 else "NhiemvuHeading2")
        elif block.kind == "chart":
            rows = snapshot.figures.by_unit
            if not rows:
                continue
            paragraphs.picture(completion_by_unit_png(rows), block.text)
        else:
            paragraphs.add(block.text, _paragraph_style(block.text, last=index == last))
    paragraphs.flush()


def signature_lines(signature: SignatureFacts, *, issuing_body: str, draft: bool) -> list[str]:
    """The signature block's lines above the name. A draft with none given gets the usual
    ones of its body, for the office to correct: "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH" for a
    People's Committee or Council, the head's title for a department, an office or a board,
    "THỦ TRƯỞNG CƠ QUAN" otherwise. An issued report shows what was given, nothing more."""
    given = [line.upper() for line in (signature.authority, signature.deputy, signature.title)]
    if any(given) or not draft:
        return [line for line in given if line]
    body = issuing_body.upper()
    for kind in ORGAN_KINDS:
        if body.startswith(kind):
            return [f"TM. {kind}", "CHỦ TỊCH"]
    for prefix, title in (
        ("SỞ ", "GIÁM ĐỐC"),
        ("VĂN PHÒNG", "CHÁNH VĂN PHÒNG"),
        ("PHÒNG ", "TRƯỞNG PHÒNG"),
        ("BAN ", "TRƯỞNG BAN"),
    ):
        if body.startswith(prefix):
            return [title]
    return ["THỦ TRƯỞNG CƠ QUAN"]


def _keep_cell_together(cell: _Cell) -> None:
    """Each paragraph of a cell but the last keeps with the next, and none splits."""
    for paragraph in cell.paragraphs[:-1]:
        paragraph.paragraph_format.keep_with_next = True
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.keep_together = True


def _signature(document: DocxDocument, snapshot: ReportSnapshot) -> None:
    _paragraph(document, "", space_after=0, keep_with_next=True)
    table = _table(document, SIGNATURE_COLUMNS_MM)
    left, right = table.rows[0].cells
    left_align = WD_ALIGN_PARAGRAPH.LEFT
    _paragraph(
        left, "Nơi nhận:", size=12, bold=True, italic=True, align=left_align, reuse_first=True
    )
    recipients = snapshot.recipients
    for index, name in enumerate(recipients):
        end = "." if index == len(recipients) - 1 else ";"
        _paragraph(left, f"- {name}{end}", size=11, align=left_align)
    for index, line in enumerate(
        signature_lines(
            snapshot.signature, issuing_body=snapshot.header.issuing_body, draft=not snapshot.issued
        )
    ):
        _paragraph(right, line, size=14, bold=True, reuse_first=index == 0)
    for _ in range(4):
        _paragraph(right, "")
    _paragraph(right, snapshot.signature.name, size=14, bold=True)  # a draft's may be empty
    _keep_cell_together(left)
    _keep_cell_together(right)


def _core_properties(document: DocxDocument, snapshot: ReportSnapshot) -> None:
    day = snapshot.report.document_date
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC)
    properties = document.core_properties
    properties.author = snapshot.unit.name
    properties.last_modified_by = "nhiemvu"
    properties.title = snapshot.header.summary[:250]
    properties.subject = snapshot.header.number_line
    properties.created = properties.modified = properties.last_printed = stamp
    properties.revision = 1


def render_docx(snapshot: ReportSnapshot) -> bytes:
    """The DOCX of a report snapshot; the same snapshot gives the same bytes (one read with
    `from_stored` holds no character XML cannot hold, so the download never fails on one)."""
    document = new_document()
    _setup(document)
    _add_page_number_header(document)
    _header(document, snapshot.header)
    _body(document, snapshot)
    _signature(document, snapshot)
    _core_properties(document, snapshot)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def docx_text(data: bytes) -> str:
    """Every paragraph of a DOCX (body and tables, in document order), one per line."""
    document = new_document(io.BytesIO(data))
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(Paragraph(child, document).text)
        elif child.tag == qn("w:tbl"):
            for paragraph_element in child.iter(qn("w:p")):
                lines.append(Paragraph(paragraph_element, document).text)
    return "\n".join(lines)
