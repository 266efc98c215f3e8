"""Login throttling, for the API's token endpoint and any other sign-in page.

Failed attempts are counted per username and per client address in moving windows of
growing length (`limits` rates such as "5/minute;20/hour;100/day": after 5 failures a wait
of up to a minute, after 20 up to an hour...). The counters live in this process's memory.
A success clears the username's counters; the address's stay (an office shares one address).
At most `concurrent_hashes` passwords are checked at once (each argon2 check takes 64 MB and
a core for a moment); a few more attempts may wait briefly for their turn, and any beyond
those are refused at once: a flood of logins never queues, nor takes the CPU, the memory or
the worker threads other requests need.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from settings import Settings

T = TypeVar("T")
# Longer names are cut for the counter key: the key space stays bounded.
MAX_KEY_LENGTH = 80
BUSY_RETRY_SECONDS = 1
# Attempts that may wait for a free hashing slot, and for how long: a few people signing in
# at the same moment all get in; waiting attempts hold worker threads, so they stay few.
WAITING_ATTEMPTS = 4
WAIT_SECONDS = 2.0


class LoginRefused(Exception):
    """The attempt was refused before any password was checked."""

    def __init__(self, *, code: str, message: str, http_status: int, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after


class LoginThrottle:
    def __init__(
        self,
        *,
        per_username: str,
        per_address: str,
        concurrent_hashes: int,
        waiting_attempts: int = WAITING_ATTEMPTS,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_username = parse_many(per_username)
        self._per_address = parse_many(per_address)
        self._hashing = threading.BoundedSemaphore(concurrent_hashes)
        self._admitted = threading.BoundedSemaphore(concurrent_hashes + waiting_attempts)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(
            per_username=settings.login_limits_per_username,
            per_address=settings.login_limits_per_address,
            concurrent_hashes=settings.login_concurrent_hashes,
        )

    def guard(self, *, username: str, address: str, verify: Callable[[], T | None]) -> T | None:
        """Run `verify` (which checks the password: None when wrong) unless the username or
        the address has failed too often, or too many passwords are being checked already;
        raises LoginRefused then."""
        user_key = "user:" + username.strip().lower()[:MAX_KEY_LENGTH]
        address_key = "address:" + address[:MAX_KEY_LENGTH]
        self._refuse_when_exceeded(self._per_username, user_key)
        self._refuse_when_exceeded(self._per_address, address_key)
        if not self._admitted.acquire(blocking=False):
            raise self._busy()
        try:
            if not self._hashing.acquire(timeout=WAIT_SECONDS):
                raise self._busy()
            try:
                result = verify()
            finally:
                self._hashing.release()
        finally:
            self._admitted.release()
        if result is None:
            for item in self._per_username:
                self._limiter.hit(item, user_key)
            for item in self._per_address:
                self._limiter.hit(item, address_key)
        else:
            for item in self._per_username:
                self._limiter.clear(item, user_key)
        return result

    @staticmethod
    def _busy() -> LoginRefused:
        return LoginRefused(
            code="auth.busy",
            message="Máy chủ đang bận kiểm tra các lần đăng nhập khác; hãy thử lại sau ít giây",
            http_status=503,
            retry_after=BUSY_RETRY_SECONDS,
        )

    def _refuse_when_exceeded(self, items: list[RateLimitItem], key: str) -> None:
        now = time.time()
        waits = [
            self._limiter.get_window_stats(item, key).reset_time - now
            for item in items
            if not self._limiter.test(item, key)
        ]
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            raise LoginRefused(
                code="auth.too_many_attempts",
                message=f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {seconds} giây",
                http_status=429,
                retry_after=seconds,
            )
