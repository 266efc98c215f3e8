"""One Settings object, read from the environment (prefix NHIEMVU_) and validated at start."""

from __future__ import annotations

import enum
import ipaddress
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracking.validation import CLOCK_TIME_PATTERN, MAX_DEADLINE_DAYS

# The key this project once published as its default: known to everybody, so refused everywhere.
DEFAULT_SECRET = "dev-only-change-me"
MIN_SECRET_LENGTH = 32
SECRET_KEY_FILE = "secret.key"
# What a form around an attachment may need beyond the file (its other fields, the multipart
# boundaries): the body limit must leave this much room above the largest attachment.
ATTACHMENT_FORM_ROOM = 64 * 1024
# Five cron fields: minute hour day-of-month month day-of-week.
CRON_PATTERN = r"^\S+( \S+){4}$"


class InsecureSecretKey(ValueError):
    """No usable token-signing key: missing, the published default, or too short."""


def checked_secret_key(value: str) -> str:
    """The one rule for the token-signing key, wherever it comes from (environment, key file)."""
    if not value:
        raise InsecureSecretKey(
            "Chưa có khóa ký mã truy cập: đặt NHIEMVU_SECRET_KEY (ít nhất "
            f"{MIN_SECRET_LENGTH} ký tự) hoặc chạy «nhiemvu init» để tạo tệp khóa"
        )
    if value == DEFAULT_SECRET or len(value) < MIN_SECRET_LENGTH:
        raise InsecureSecretKey(
            "NHIEMVU_SECRET_KEY không dùng được: khóa mặc định đã công bố hoặc ngắn hơn "
            f"{MIN_SECRET_LENGTH} ký tự"
        )
    return value


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NHIEMVU_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    # Empty means a SQLite file in data_dir; PostgreSQL: postgresql+psycopg://user@host/db
    database_url: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    # Tasks due within this many working days are flagged "sắp đến hạn".
    due_soon_working_days: int = Field(default=3, ge=0, le=60)
    # Back-dating (tracking/tasks.py): how many days before today a user may date an event
    # (giao, báo cáo, hoàn thành, xác nhận, quyết định, đề nghị, tạm dừng, hủy). System jobs
    # (seed, imports, flows) and administrators record older history; every event dated
    # before the day it is recorded is marked in the audit ("backdated_days").
    backdate_max_days: int = Field(default=30, ge=0, le=MAX_DEADLINE_DAYS)

    # Empty: read from data_dir/secret.key (mode 0600), which `nhiemvu init` writes.
    secret_key: str = ""
    access_token_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    public_base_url: str = "http://127.0.0.1:8000"

    # Security (api/): the largest request body; login throttling as `limits` rates
    # ("5/minute;20/hour"), counted per process; password checks run at once (64 MB each).
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)
    login_limits_per_username: str = "5/minute;20/hour;100/day"
    login_limits_per_address: str = "20/minute;200/hour;1000/day"
    login_concurrent_hashes: int = Field(default=1, ge=1, le=64)

    # Attachments (tracking/attachments.py): the largest file, below max_body_bytes (the
    # form around it needs room); where the bytes live: "files" under data_dir/attachments/
    # (one machine), or "database" when API processes on several machines share them.
    attachment_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    attachment_store: Literal["files", "database"] = "files"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "nhiemvu@localhost"
    # The sending body's name, shown beside smtp_from ("Văn phòng UBND tỉnh Quảng Ngãi").
    smtp_from_name: str = Field(default="Hệ thống theo dõi nhiệm vụ", min_length=1, max_length=120)
    smtp_tls: bool = False

    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zns_api_base: str = "https://business.openapi.zalo.me"
    zalo_app_id: str = ""
    zalo_app_secret: str = ""
    # Channel security (issue 9). Fernet keys for channel URLs and Zalo tokens at rest,
    # comma-separated: the first encrypts, all decrypt (rotation). Unset: data_dir/
    # encryption.key, created on first need outside production. Private/loopback hosts or
    # CIDRs an administrator's Apprise URL may still reach (comma-separated; none by default).
    encryption_keys: str = ""
    channel_allowed_private_hosts: str = ""

    # Reminders (notifications/): the default send window, delivery retries and leases.
    notify_window_start: str = Field(default="07:30", pattern=CLOCK_TIME_PATTERN)
    notify_window_end: str = Field(default="17:30", pattern=CLOCK_TIME_PATTERN)
    notify_max_attempts: int = Field(default=6, ge=1, le=50)
    notify_backoff_seconds: float = Field(default=60.0, ge=0, le=86400)
    notify_backoff_max_seconds: float = Field(default=6 * 3600, ge=0, le=7 * 86400)
    notify_lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    notify_batch_size: int = Field(default=20, ge=1, le=1000)
    # Comma-separated addresses told when a notification is given up ("dead").
    admin_emails: str = ""

    # Prefect schedules (flows/), cron in `timezone`. Every day: the working calendar (làm bù
    # Saturdays, holidays) decides inside the flows whether a day plans or sends anything.
    sweep_cron: str = Field(default="0 7 * * *", pattern=CRON_PATTERN)
    delivery_cron: str = Field(default="*/5 7-17 * * *", pattern=CRON_PATTERN)
    drafting_cron: str = Field(default="30 6 * * *", pattern=CRON_PATTERN)
    # The embedded Prefect (no PREFECT_API_URL): its home and SQLite database, default
    # data_dir/prefect; the seconds its local server may take to start on a slow machine.
    prefect_home: Path | None = None
    prefect_startup_timeout_seconds: int = Field(default=90, ge=10, le=900)

    # The key file secret_key was read from; None when it came from NHIEMVU_SECRET_KEY.
    _secret_key_file: Path | None = PrivateAttr(default=None)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises on an unknown zone
        return value

    @field_validator("smtp_from_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        # Written into the From header: a line break would start another header, and the
        # address delimiters would make the name read as an address.
        value = value.strip()
        if not value or any(c in value for c in '<>"@\\') or any(ord(c) < 32 for c in value):
            raise ValueError(
                "NHIEMVU_SMTP_FROM_NAME: tên cơ quan gửi thư không được để trống và không chứa "
                'xuống dòng hoặc các ký tự < > " @ \\'
            )
        return value

    @field_validator("login_limits_per_username", "login_limits_per_address")
    @classmethod
    def _rates(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # raises ValueError on a malformed rate
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _valid_fernet_keys(cls, value: str) -> str:
        for key in (k.strip() for k in value.split(",") if k.strip()):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError(
                    "NHIEMVU_ENCRYPTION_KEYS chứa một khóa không hợp lệ (cần khóa Fernet: 32 byte "
                    "mã hóa base64 URL-safe, tạo bằng `nhiemvu secrets new-key`)"
                ) from None
        return value

    @field_validator("channel_allowed_private_hosts")
    @classmethod
    def _valid_private_hosts(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",") if e.strip()):
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(
                        f"NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS: dải địa chỉ không hợp lệ: {entry}"
                    ) from None
        return value

    @model_validator(mode="after")
    def _attachment_fits_in_a_request(self) -> Settings:
        if self.attachment_max_bytes + ATTACHMENT_FORM_ROOM > self.max_body_bytes:
            raise ValueError(
                f"NHIEMVU_ATTACHMENT_MAX_BYTES ({self.attachment_max_bytes}) phải nhỏ hơn "
                f"NHIEMVU_MAX_BODY_BYTES ({self.max_body_bytes}) ít nhất {ATTACHMENT_FORM_ROOM} "
                "byte: tệp được gửi trong một biểu mẫu, cùng các trường khác"
            )
        return self

    @model_validator(mode="after")
    def _encryption_key_in_production(self) -> Settings:
        if (
            self.environment == Environment.PRODUCTION
            and not self.encryption_keys.strip()
            and not self.encryption_key_file.is_file()
        ):
            raise ValueError(
                "NHIEMVU_ENCRYPTION_KEYS phải được đặt (hoặc có tệp khóa "
                f"{self.encryption_key_file}) khi chạy production: kênh liên lạc và token Zalo "
                "được mã hóa bằng khóa này"
            )
        return self

    @model_validator(mode="after")
    def _secret_from_environment_or_file(self) -> Settings:
        if self.secret_key:
            checked_secret_key(self.secret_key)
            return self
        path = self.secret_key_path
        if path.exists():
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise InsecureSecretKey(
                    f"Tệp khóa {path} đọc được bởi người khác: chạy «chmod 600 {path}»"
                )
            self.secret_key = checked_secret_key(path.read_text(encoding="utf-8").strip())
            self._secret_key_file = path
        return self

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / SECRET_KEY_FILE

    @property
    def secret_key_file(self) -> Path | None:
        return self._secret_key_file

    @property
    def token_secret(self) -> str:
        """The key that signs and verifies tokens; raises InsecureSecretKey when there is none."""
        return checked_secret_key(self.secret_key)

    @property
    def encryption_key_file(self) -> Path:
        return self.data_dir / "encryption.key"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nhiemvu.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def ensure_secret_key() -> Settings:
    """The settings, after writing a random key file (0600) when no key is set anywhere;
    an existing key is kept, so tokens already issued stay valid."""
    settings = get_settings()
    if settings.secret_key:
        return settings
    path = settings.secret_key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two starting processes never overwrite each other's key.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
    get_settings.cache_clear()
    return get_settings()


@contextmanager
def overridden(**values: str) -> Iterator[Settings]:
    """Settings with some values replaced for the duration of a block (the demo points
    SMTP at the mail server it starts); the environment is restored afterwards."""
    saved = {key: os.environ.get(f"NHIEMVU_{key.upper()}") for key in values}
    os.environ.update({f"NHIEMVU_{key.upper()}": value for key, value in values.items()})
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(f"NHIEMVU_{key.upper()}", None)
            else:
                os.environ[f"NHIEMVU_{key.upper()}"] = value
        get_settings.cache_clear()
