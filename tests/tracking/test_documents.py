from datetime import date

import pytest
from sqlmodel import Session

from tests.world import ACTOR, make_world
from tracking import documents
from tracking.documents import Symbol, parse_symbol
from tracking.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("61/KH-UBND", Symbol(61, None, "KH", "UBND")),
        ("555/BC-UBND", Symbol(555, None, "BC", "UBND")),
        ("1412/STTTT", Symbol(1412, None, None, "STTTT")),  # công văn: no type code
        ("12/UBND-VX", Symbol(12, None, None, "UBND-VX")),
        ("28/2018/QĐ-TTg", Symbol(28, 2018, "QĐ", "TTg")),
        ("30/2020/NĐ-CP", Symbol(30, 2020, "NĐ", "CP")),
        (" 5/BC-UBND ", Symbol(5, None, "BC", "UBND")),
    ],
)
def test_parse_symbol(text: str, expected: Symbol) -> None:
    assert parse_symbol(text) == expected


def test_symbol_is_written_with_leading_zero() -> None:
    assert str(parse_symbol("5/BC-UBND")) == "05/BC-UBND"
    assert str(parse_symbol("28/2018/QĐ-TTg")) == "28/2018/QĐ-TTg"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "document.symbol_invalid"),
        ("KH-UBND", "document.symbol_invalid"),
        ("61/", "document.symbol_invalid"),
        ("61/KH UBND", "document.symbol_invalid"),
        ("61/KH--UBND", "document.symbol_invalid"),
        ("0/KH-UBND", "document.number_invalid"),
        ("28/1800/QĐ-TTg", "document.year_invalid"),
        ("28/2018/UBND", "document.type_required"),
    ],
)
def test_bad_symbols_are_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_symbol(text)
    assert error.value.code == code and error.value.field == "symbol"


def test_create_document_checks_year_and_duplicates(session: Session) -> None:
    world = make_world(session)
    created = documents.create(
        session=session,
        actor=ACTOR,
        symbol="61/KH-UBND",
        issued_on=date(2019, 4, 10),
        summary="Kế hoạch phát triển Chính phủ điện tử",
        issuer=world.province,
    )
    assert (created.type_code, created.issuer_code, created.issuer_name) == (
        "KH",
        "UBND",
        world.province.name,
    )
    with pytest.raises(InvalidInput) as error:
        documents.create(
            session=session,
            actor=ACTOR,
            symbol="61/KH-UBND",
            issued_on=date(2019, 4, 10),
            summary="Trùng",
        )
    assert error.value.code == "document.duplicate"
    with pytest.raises(InvalidInput) as error:
        documents.create(
            session=session,
            actor=ACTOR,
            symbol="28/2018/QĐ-TTg",
            issued_on=date(2019, 7, 12),
            summary="Sai năm",
        )
    assert error.value.code == "document.year_mismatch"
