"""Secrets at rest: Fernet encryption of a column, and a keyed digest for uniqueness.

Channel URLs (SMTP passwords, bot tokens) and Zalo tokens are stored encrypted with the
keys of NHIEMVU_ENCRYPTION_KEYS (MultiFernet: the first encrypts, every key decrypts, so a
new key is put first and the old ones kept until `nhiemvu secrets rotate` has re-encrypted
every row). Without that setting the key is read from data_dir/encryption.key, created
(mode 0600) on first need outside production; in production Settings refuses to start
without one or the other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from settings import Environment, Settings, get_settings


class MissingKey(RuntimeError):
    """No encryption key is configured where one cannot be created (production)."""


class UndecryptableSecret(RuntimeError):
    """A stored value that none of the configured keys decrypts (a key was removed)."""


def new_key() -> str:
    """A fresh Fernet key, written as NHIEMVU_ENCRYPTION_KEYS and the key file hold it."""
    return Fernet.generate_key().decode("ascii")


def _read_or_create_key_file(path: Path, *, create: bool) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise MissingKey(
                f"Chưa có khóa mã hóa: đặt NHIEMVU_ENCRYPTION_KEYS hoặc tạo tệp {path}"
            ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_key()
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def configured_keys(settings: Settings | None = None) -> list[str]:
    """The Fernet keys in order (the first encrypts), from the setting or the key file."""
    s = settings or get_settings()
    keys = [k.strip() for k in s.encryption_keys.split(",") if k.strip()]
    if keys:
        return keys
    create = s.environment != Environment.PRODUCTION
    return [_read_or_create_key_file(s.encryption_key_file.resolve(), create=create)]


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(configured_keys()))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableSecret(
            "Không giải mã được dữ liệu bí mật: khóa đã dùng để mã hóa không còn trong "
            "NHIEMVU_ENCRYPTION_KEYS"
        ) from None


def rotate(token: str) -> str:
    """The value re-encrypted with the first key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def _mac_key(first_key: str) -> bytes:
    return hashlib.sha256(b"nhiemvu/digest/" + first_key.encode("ascii")).digest()


def digest(value: str) -> str:
    """HMAC-SHA256 of a value under a key derived from the first encryption key: equal
    values give equal digests (uniqueness) without the value being readable from it."""
    return hmac.new(
        _mac_key(configured_keys()[0]), value.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def sealer() -> Callable[[str], tuple[str, str]]:
    """For bulk writers (bench worlds): a function giving a value's ciphertext and digest, as
    `encrypt` and `digest` do, with the keys read once rather than once per value."""
    keys = configured_keys()
    box, mac_key = _fernet_for(tuple(keys)), _mac_key(keys[0])

    def seal(value: str) -> tuple[str, str]:
        data = value.encode("utf-8")
        ciphertext = box.encrypt(data).decode("ascii")
        return ciphertext, hmac.new(mac_key, data, hashlib.sha256).hexdigest()

    return seal


class Ciphertext(str):
    """A value as an EncryptedText column stores it (its Fernet token), read with
    `type_coerce(column, Text)`: written to an EncryptedText column as it is, so a bulk copy
    (a channel's URL into the outbox) is neither decrypted nor encrypted again."""


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token and read back as the plain value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if isinstance(value, Ciphertext):
            return str(value)
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(str(value))
