"""How numbers, dates and document numbers are written in Vietnamese official documents.

NĐ 30/2020: "ngày 05 tháng 01", "ngày 29 tháng 6" (days below 10 and months 1–2 take a leading
zero, months 3–12 do not); numbers below 10 take a leading zero ("Số: 05/BC-UBND"). Numbers in
text: "12.269", "99,5%" (Babel's vi percent pattern drops decimals, so the number is formatted
and "%" added).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.numbers import format_decimal

NUMBER_PATTERN = "#,##0.##"


@lru_cache(maxsize=4096)  # Babel takes tens of microseconds; a report writes thousands
def number(value: float | int) -> str:
    """12269 → "12.269", 99.5 → "99,5", 100.0 → "100"."""
    return format_decimal(value, format=NUMBER_PATTERN, locale="vi")


def percent(value: float | int) -> str:
    """A value already in percent: 99.5 → "99,5%"."""
    return f"{number(value)}%"


def rate(fraction: float | None) -> str:
    """A fraction 0..1 as a percentage with at most one decimal: 0.995 → "99,5%"; None → "–"."""
    if fraction is None:
        return "–"
    return percent(round(fraction * 100, 1))


def count(value: int) -> str:
    """Counts in report prose: below 10 with a leading zero ("05"), then "12.269"."""
    if 0 <= value < 10:
        return f"{value:02d}"
    if 10 <= value < 1000:
        return str(value)  # nothing to group: Babel's work skipped (a report writes thousands)
    return number(value)


def _month(month: int) -> str:
    return f"{month:02d}" if month <= 2 else str(month)


@lru_cache(maxsize=4096)
def short_date(day: date) -> str:
    """ "10/4/2019", "09/9/2020", "05/01/2021"."""
    return f"{day.day:02d}/{_month(day.month)}/{day.year}"


def long_date(day: date) -> str:
    """ "ngày 02 tháng 11 năm 2021"."""
    return f"ngày {day.day:02d} tháng {_month(day.month)} năm {day.year}"


def place_and_date(place: str, day: date) -> str:
    """ "Lý Sơn, ngày 02 tháng 11 năm 2021"."""
    return f"{place}, {long_date(day)}"


def document_number(value: int) -> str:
    """ "05", "555"."""
    return f"{value:02d}"


def symbol(value: int, type_code: str, issuer_code: str) -> str:
    """ "555/BC-UBND"."""
    return f"{document_number(value)}/{type_code}-{issuer_code}"


def value_with_unit(value: float, unit_of_measure: str) -> str:
    """ "12.269 hồ sơ", "99,5%", "87 thủ tục"."""
    if unit_of_measure == "%":
        return percent(value)
    return f"{number(value)} {unit_of_measure}".strip()
