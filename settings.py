"""One Settings object, read from the environment (prefix NHIEMVU_) and validated at start."""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me"
# Five cron fields: minute hour day-of-month month day-of-week.
CRON_PATTERN = r"^\S+( \S+){4}$"


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

    secret_key: str = DEFAULT_SECRET
    access_token_minutes: int = Field(default=8 * 60, ge=1, le=7 * 24 * 60)
    public_base_url: str = "http://127.0.0.1:8000"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "nhiemvu@localhost"
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
    notify_window_start: str = Field(default="07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    notify_window_end: str = Field(default="17:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
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

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises on an unknown zone
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
    def _secret_outside_development(self) -> Settings:
        if self.environment == Environment.PRODUCTION and (
            self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "NHIEMVU_SECRET_KEY phải được đặt (ít nhất 32 ký tự) khi chạy production"
            )
        return self

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
