"""Documents (văn bản) and their số, ký hiệu: "61/KH-UBND", "1412/STTTT", "28/2018/QĐ-TTg"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Document, Unit
from tracking import search, versioning
from tracking.audit import Actor, add_created, record, snapshot
from tracking.errors import Conflict, InvalidInput, get_or_not_found
from tracking.validation import clean_text

# Nghị định 30/2020, Phụ lục III, plus the legal normative kinds (NĐ, TT, TTLT, L).
TYPE_CODES: dict[str, str] = {
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "CT": "Chỉ thị",
    "QC": "Quy chế",
    "QyĐ": "Quy định",
    "TC": "Thông cáo",
    "TB": "Thông báo",
    "HD": "Hướng dẫn",
    "CTr": "Chương trình",
    "KH": "Kế hoạch",
    "PA": "Phương án",
    "ĐA": "Đề án",
    "DA": "Dự án",
    "BC": "Báo cáo",
    "BB": "Biên bản",
    "TTr": "Tờ trình",
    "HĐ": "Hợp đồng",
    "CĐ": "Công điện",
    "BGN": "Bản ghi nhớ",
    "BTT": "Bản thỏa thuận",
    "GUQ": "Giấy ủy quyền",
    "GM": "Giấy mời",
    "GGT": "Giấy giới thiệu",
    "GNP": "Giấy nghỉ phép",
    "PG": "Phiếu gửi",
    "PC": "Phiếu chuyển",
    "PB": "Phiếu báo",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "L": "Luật",
}

_SYMBOL = re.compile(r"^(?P<number>\d{1,6})/(?:(?P<year>\d{4})/)?(?P<rest>[^\s/]+)$")
_CODE_PART = re.compile(r"^[A-ZĐ][A-Za-zĐđ0-9]*$")

ISSUER_CODE_MAX = 40
# "UBND", "SKHĐT", "VP.UBND", "BTC-KBNN", "SKH&ĐT": letters (with Đ), digits and the joiners
# real symbols use. The code ends up in document numbers, file names and HTTP headers, so
# nothing else (no space, quote, slash, semicolon or line break).
_ISSUER_CODE = re.compile(r"[A-Za-zĐđ0-9](?:[A-Za-zĐđ0-9&.-]*[A-Za-zĐđ0-9])?")


def check_issuer_code(value: str, *, field: str = "issuer_code") -> str:
    """The issuer code (chữ viết tắt tên cơ quan ban hành), or InvalidInput naming `field`."""
    # fullmatch: "$" would accept a trailing line feed.
    if len(value) > ISSUER_CODE_MAX or _ISSUER_CODE.fullmatch(value) is None:
        raise InvalidInput(
            "document.issuer_code_invalid",
            # The value is not echoed: it may hold the very characters refused here.
            "Chữ viết tắt tên cơ quan ban hành không hợp lệ: chỉ gồm "
            f"chữ cái (kể cả Đ), chữ số và các dấu - & . ở giữa, tối đa {ISSUER_CODE_MAX} ký tự, "
            "không có khoảng trắng (ví dụ UBND, SKHĐT, VP.UBND)",
            field=field,
        )
    return value


@dataclass(frozen=True)
class Symbol:
    number: int
    year: int | None
    type_code: str | None  # None: a công văn, which has no type code
    issuer_code: str

    def __str__(self) -> str:
        year = f"{self.year}/" if self.year else ""
        kind = f"{self.type_code}-" if self.type_code else ""
        return f"{self.number:02d}/{year}{kind}{self.issuer_code}"


def parse_symbol(text: str) -> Symbol:
    """Parse and validate a số, ký hiệu; raises InvalidInput naming what is wrong."""
    match = _SYMBOL.match(text.strip())
    if match is None:
        raise InvalidInput(
            "document.symbol_invalid",
            f"Số, ký hiệu «{text}» không đúng dạng số/ký hiệu (ví dụ 61/KH-UBND, 1412/STTTT)",
            field="symbol",
        )
    number = int(match["number"])
    if number < 1:
        raise InvalidInput("document.number_invalid", "Số văn bản phải lớn hơn 0", field="symbol")
    year = int(match["year"]) if match["year"] else None
    if year is not None and not 1945 <= year <= 2100:
        raise InvalidInput("document.year_invalid", f"Năm {year} không hợp lệ", field="symbol")
    parts = match["rest"].split("-")
    if not all(_CODE_PART.match(part) for part in parts):
        raise InvalidInput(
            "document.symbol_invalid",
            f"Ký hiệu «{match['rest']}» chỉ gồm chữ viết tắt và số, nối bằng dấu gạch ngang",
            field="symbol",
        )
    type_code = parts[0] if parts[0] in TYPE_CODES and len(parts) > 1 else None
    issuer_parts = parts[1:] if type_code else parts
    if year is not None and type_code is None:
        raise InvalidInput(
            "document.type_required",
            "Văn bản quy phạm pháp luật có năm ban hành phải có tên loại (ví dụ 28/2018/QĐ-TTg)",
            field="symbol",
        )
    issuer_code = check_issuer_code("-".join(issuer_parts), field="symbol")
    return Symbol(number, year, type_code, issuer_code)


def named(*, symbol: str, type_code: str | None, issued_on: date) -> str:
    """How a message names a document: "Kế hoạch số 61/KH-UBND ngày 02/03/2021"; a công văn
    (no type code) "Công văn số 1412/STTTT ngày …"."""
    kind = TYPE_CODES.get(type_code, "Văn bản") if type_code else "Công văn"
    return f"{kind} số {symbol} ngày {issued_on:%d/%m/%Y}"


def get(*, session: Session, document_id: int) -> Document:
    return get_or_not_found(session, Document, document_id, entity="document", noun="văn bản")


def find(*, session: Session, symbol: str, issued_on: date) -> Document | None:
    canonical = str(parse_symbol(symbol))
    statement = select(Document).where(
        Document.symbol == canonical, Document.issued_on == issued_on
    )
    return session.exec(statement).first()


def _clean_summary(summary: str) -> str:
    return clean_text(
        summary, code="document.summary", field="summary", label="Trích yếu", limit=2000
    )


def _clean_issuer_name(issuer_name: str) -> str:
    return clean_text(
        issuer_name,
        code="document.issuer_name",
        field="issuer_name",
        label="Tên cơ quan ban hành",
        required=False,
        limit=255,
    )


def _clean_signer(signer: str) -> str:
    return clean_text(
        signer, code="document.signer", field="signer", label="Người ký", required=False, limit=255
    )


def create(
    *,
    session: Session,
    actor: Actor,
    symbol: str,
    issued_on: date,
    summary: str,
    issuer: Unit | None = None,
    issuer_name: str = "",
    signer: str = "",
) -> Document:
    parsed = parse_symbol(symbol)
    if parsed.year is not None and parsed.year != issued_on.year:
        raise InvalidInput(
            "document.year_mismatch",
            f"Năm trong ký hiệu ({parsed.year}) khác năm ban hành ({issued_on.year})",
            field="issued_on",
        )
    summary = _clean_summary(summary)
    issuer_name = _clean_issuer_name(issuer_name)
    signer = _clean_signer(signer)
    if find(session=session, symbol=symbol, issued_on=issued_on) is not None:
        raise InvalidInput(
            "document.duplicate",
            f"Văn bản {parsed} ngày {issued_on:%d/%m/%Y} đã có",
            field="symbol",
        )
    document = Document(
        symbol=str(parsed),
        number=parsed.number,
        year=parsed.year,
        type_code=parsed.type_code,
        issuer_code=parsed.issuer_code,
        issued_on=issued_on,
        issuer_unit_id=issuer.id if issuer else None,
        issuer_name=issuer_name or (issuer.name if issuer else ""),
        summary=summary,
        signer=signer,
    )
    return add_created(session=session, actor=actor, row=document, entity="document")


# What an edit may change. The symbol, its number and the day of issue identify the document
# (tasks, plans and reports cite it): a wrong one is a different document.
EDITABLE_FIELDS = ("summary", "signer", "issuer_name")


def update(
    *,
    session: Session,
    actor: Actor,
    document_id: int,
    expected_version: int,
    summary: str | None = None,
    signer: str | None = None,
    issuer_name: str | None = None,
) -> Document:
    """Correct a document's trích yếu, signer or issuing body's name; refuses a stale
    version (409 `document.stale_version`) or no change (409 `document.unchanged`)."""
    document = get(session=session, document_id=document_id)
    versioning.check_version(versioning.DOCUMENT, document, expected_version=expected_version)
    changes: dict[str, str] = {}
    if summary is not None:
        changes["summary"] = _clean_summary(summary)
    if signer is not None:
        changes["signer"] = _clean_signer(signer)
    if issuer_name is not None:
        changes["issuer_name"] = _clean_issuer_name(issuer_name)
    changes = {name: value for name, value in changes.items() if getattr(document, name) != value}
    if not changes:
        raise Conflict("document.unchanged", "Không có gì thay đổi", field="version")
    fields = (*changes, "version")
    before = snapshot(document, fields)
    versioning.bump_version(versioning.DOCUMENT, session=session, row=document)
    for name, value in changes.items():
        setattr(document, name, value)
    session.add(document)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="document.update",
        entity="document",
        entity_id=document.id,
        before=before,
        after=snapshot(document, fields),
    )
    return document


def list_documents(
    *,
    session: Session,
    issuer_unit_id: int | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Document]:
    """Documents, latest first (published acts: every signed-in user reads them); with `text`,
    only those whose number and symbol contains it, case aside ("61/kh" finds "61/KH-UBND";
    InvalidInput `search.too_short` under 3 characters)."""
    statement = select(Document).order_by(col(Document.issued_on).desc(), col(Document.id))
    if issuer_unit_id is not None:
        statement = statement.where(Document.issuer_unit_id == issuer_unit_id)
    folded = search.folded_query(text)
    if folded is not None:
        statement = statement.where(col(Document.id).in_(search.matching_documents(folded)))
    return list(session.exec(statement.limit(limit).offset(offset)).all())
