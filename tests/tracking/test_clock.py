from datetime import UTC, date, datetime

import time_machine

from tracking import clock


@time_machine.travel(datetime(2026, 11, 25, 17, 30, tzinfo=UTC), tick=False)
def test_today_is_the_local_date_in_ho_chi_minh_city() -> None:
    # 17:30 UTC is 00:30 the next day in Asia/Ho_Chi_Minh (UTC+7).
    assert clock.today() == date(2026, 11, 26)
    assert clock.now_utc().tzinfo is UTC
    assert clock.now_local().utcoffset().total_seconds() == 7 * 3600


@time_machine.travel(datetime(2026, 11, 25, 16, 59, tzinfo=UTC), tick=False)
def test_just_before_local_midnight() -> None:
    assert clock.today() == date(2026, 11, 25)
