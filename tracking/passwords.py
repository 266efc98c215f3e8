"""What a password must not be: too short or long, the username, one character or a short
group repeated, a run along the alphabet, the digits or the keyboard, or a common password."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tracking.errors import InvalidInput

MIN_PASSWORD = 8
MAX_PASSWORD = 256
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.csv"
# Runs people type: a password inside one of these (or its reverse) is a "simple sequence".
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
MIN_NAME_INSIDE = 4
# "abcabcabc", "12121212": a group this short repeated is as weak as one repeated character.
MAX_REPEATED_GROUP = 3


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def _is_repetition(text: str) -> bool:
    return any(
        text == (text[:size] * (len(text) // size + 1))[: len(text)]
        for size in range(1, MAX_REPEATED_GROUP + 1)
    )


def _is_sequence(text: str) -> bool:
    return any(text in run or text in run[::-1] for run in SEQUENCES)


def check_password(*, password: str, username: str) -> None:
    """Raise InvalidInput (field `password`) for a password that must not be used."""
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise InvalidInput(
            "user.password_length",
            f"Mật khẩu phải có từ {MIN_PASSWORD} đến {MAX_PASSWORD} ký tự",
            field="password",
        )
    lowered = password.lower()
    name = username.strip().lower()
    # Containment only for names long enough not to be inside ordinary words.
    contains_name = len(name) >= MIN_NAME_INSIDE and name in lowered
    if name and (lowered == name or contains_name or lowered in name):
        raise InvalidInput(
            "user.password_contains_username",
            "Mật khẩu không được trùng hoặc chứa tên đăng nhập",
            field="password",
        )
    if _is_repetition(lowered):
        raise InvalidInput(
            "user.password_repetitive",
            "Mật khẩu không được chỉ là một ký tự hay một nhóm ký tự ngắn lặp lại",
            field="password",
        )
    if _is_sequence(lowered):
        raise InvalidInput(
            "user.password_sequence",
            "Mật khẩu không được là một dãy ký tự liên tiếp (như 12345678, abcdefgh, qwertyui)",
            field="password",
        )
    if lowered in common_passwords():
        raise InvalidInput(
            "user.password_common",
            "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác",
            field="password",
        )
