"""The one clock: 'today' is the local date in the configured zone (Asia/Ho_Chi_Minh).

Tests freeze it with time-machine, which patches the system clock underneath.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from settings import get_settings


@lru_cache
def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def now_utc() -> datetime:
    return datetime.now(UTC)


def now_local() -> datetime:
    return datetime.now(local_zone())


def today() -> date:
    return now_local().date()
