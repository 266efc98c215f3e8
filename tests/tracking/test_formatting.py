from datetime import date

from tracking import formatting as fmt


def test_dates_follow_nd30() -> None:
    assert fmt.long_date(date(2021, 11, 2)) == "ngày 02 tháng 11 năm 2021"
    assert fmt.long_date(date(2021, 1, 5)) == "ngày 05 tháng 01 năm 2021"
    assert fmt.long_date(date(2021, 6, 29)) == "ngày 29 tháng 6 năm 2021"
    assert fmt.short_date(date(2019, 4, 10)) == "10/4/2019"
    assert fmt.short_date(date(2020, 9, 9)) == "09/9/2020"
    assert fmt.place_and_date("Lý Sơn", date(2021, 11, 2)) == "Lý Sơn, ngày 02 tháng 11 năm 2021"


def test_numbers_in_vietnamese() -> None:
    assert fmt.number(12269) == "12.269"
    assert fmt.percent(99.5) == "99,5%"
    assert fmt.percent(100) == "100%"
    assert fmt.rate(3 / 6) == "50%" and fmt.rate(2 / 3) == "66,7%" and fmt.rate(None) == "–"
    assert fmt.count(5) == "05" and fmt.count(12) == "12" and fmt.count(1234) == "1.234"
    assert all(fmt.count(value) == fmt.number(value) for value in range(10, 2000))
    assert fmt.value_with_unit(12269, "hồ sơ") == "12.269 hồ sơ"
    assert fmt.symbol(5, "BC", "UBND") == "05/BC-UBND"
    assert fmt.symbol(555, "BC", "UBND") == "555/BC-UBND"
