"""Every w:pPr, w:rPr, w:tblPr (and w:sectPr, w:tcPr, w:trPr) of the generated DOCX lists its
children in the order of ECMA-376 Part 1's schema, each at most once: LibreOffice reads any
order, but Word reports an unreadable part and offers to repair it, dropping what is out of
place (the header's rules, the table's fixed layout).

The sequences below are copied from ECMA-376 Part 1 (5th edition, 2016), wml.xsd, and named by
their complex types and sections.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from sqlmodel import Session

from reports import service
from tests.reports.test_docx_layout import province_draft
from tests.world import issued_seed_report

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# §17.3.1.26 pPr (Paragraph Properties): CT_PPrBase, then CT_PPr's own rPr, sectPr, pPrChange.
P_PR = (
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
)
# §17.3.2.28 rPr (Run Properties): EG_RPrBase, then rPrChange. The paragraph mark's rPr
# (§17.3.1.29, CT_ParaRPr) puts ins, del, moveFrom, moveTo first.
R_PR = (
    "ins",
    "del",
    "moveFrom",
    "moveTo",
    "rStyle",
    "rFonts",
    "b",
    "bCs",
    "i",
    "iCs",
    "caps",
    "smallCaps",
    "strike",
    "dstrike",
    "outline",
    "shadow",
    "emboss",
    "imprint",
    "noProof",
    "snapToGrid",
    "vanish",
    "webHidden",
    "color",
    "spacing",
    "w",
    "kern",
    "position",
    "sz",
    "szCs",
    "highlight",
    "u",
    "effect",
    "bdr",
    "shd",
    "fitText",
    "vertAlign",
    "rtl",
    "cs",
    "em",
    "lang",
    "eastAsianLayout",
    "specVanish",
    "oMath",
    "rPrChange",
)
# §17.4.60 tblPr (Table Properties): CT_TblPrBase, then tblPrChange.
TBL_PR = (
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
    "tblPrChange",
)
# §17.6.17 sectPr (Section Properties): header and footer references (repeatable), then the rest.
SECT_PR = (
    "headerReference|footerReference",
    "footnotePr",
    "endnotePr",
    "type",
    "pgSz",
    "pgMar",
    "paperSrc",
    "pgBorders",
    "lnNumType",
    "pgNumType",
    "cols",
    "formProt",
    "vAlign",
    "noEndnote",
    "titlePg",
    "textDirection",
    "bidi",
    "rtlGutter",
    "docGrid",
    "printerSettings",
    "sectPrChange",
)
# §17.4.70 tcPr (Table Cell Properties): CT_TcPrBase, then the revision marks.
TC_PR = (
    "cnfStyle",
    "tcW",
    "gridSpan",
    "hMerge",
    "vMerge",
    "tcBorders",
    "shd",
    "noWrap",
    "tcMar",
    "textDirection",
    "tcFitText",
    "vAlign",
    "hideMark",
    "headers",
    "cellIns|cellDel|cellMerge",
    "tcPrChange",
)
# §17.4.79 trPr (Table Row Properties): CT_TrPrBase is a choice in any order, each at most
# once in practice; then ins, del, trPrChange.
TR_PR_BASE = (
    "cnfStyle",
    "divId",
    "gridBefore",
    "gridAfter",
    "wBefore",
    "wAfter",
    "cantSplit",
    "trHeight",
    "tblHeader",
    "tblCellSpacing",
    "jc",
    "hidden",
)
TR_PR = ("|".join(TR_PR_BASE), "ins", "del", "trPrChange")
REPEATABLE = {"headerReference|footerReference"}

SEQUENCES = {
    "pPr": P_PR,
    "rPr": R_PR,
    "tblPr": TBL_PR,
    "sectPr": SECT_PR,
    "tcPr": TC_PR,
    "trPr": TR_PR,
}


def _position(sequence: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, names in enumerate(sequence) for name in names.split("|")}


POSITIONS = {tag: _position(sequence) for tag, sequence in SEQUENCES.items()}


def schema_errors(part: str, xml: bytes) -> Iterator[str]:
    """Where a properties element of a part breaks its sequence: an unknown child, a child
    out of order, or one that the sequence allows once given twice."""
    root = ElementTree.fromstring(xml)
    for tag, positions in POSITIONS.items():
        sequence = SEQUENCES[tag]
        for element in root.iter(f"{{{W}}}{tag}"):
            last = -1
            seen: set[str] = set()
            for child in element:
                namespace, _, name = child.tag[1:].partition("}")
                where = f"{part}: w:{tag} has w:{name}"
                if namespace != W or name not in positions:
                    yield f"{where}, not in its sequence"
                    continue
                position = positions[name]
                if position < last:
                    yield f"{where} after w:{sequence[last]}"
                repeatable = sequence[position] in REPEATABLE
                if name in seen and not repeatable:
                    yield f"{where} twice"
                last = max(last, position)
                seen.add(name)


def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        names = [
            name
            for name in archive.namelist()
            if name in ("word/document.xml", "word/styles.xml")
            or name.startswith(("word/header", "word/footer"))
        ]
        return {name: archive.read(name) for name in names}


def test_the_checker_finds_what_word_would_repair() -> None:
    xml = (
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:pPr><w:spacing/><w:pBdr/></w:pPr></w:p>'
        "<w:tbl><w:tblPr><w:tblLayout/><w:tblLook/><w:tblW/><w:tblLayout/></w:tblPr></w:tbl>"
        "</w:body></w:document>"
    ).encode()
    assert list(schema_errors("document.xml", xml)) == [
        "document.xml: w:pPr has w:pBdr after w:spacing",
        "document.xml: w:tblPr has w:tblW after w:tblLook",
        "document.xml: w:tblPr has w:tblLayout after w:tblLook",
        "document.xml: w:tblPr has w:tblLayout twice",
    ]


@pytest.mark.parametrize("which", ["seed report", "province draft"])
def test_properties_follow_the_schema_order(session: Session, which: str) -> None:
    report = issued_seed_report(session) if which == "seed report" else province_draft(session)
    docx = service.render(session=session, report_id=report.id or 0, fmt="docx").content
    parts = _parts(docx)
    assert {"word/document.xml", "word/styles.xml"} <= parts.keys()
    assert any(name.startswith("word/header") for name in parts)
    errors = [error for name, xml in parts.items() for error in schema_errors(name, xml)]
    assert errors == []
