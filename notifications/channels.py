"""Contact channels as Apprise URLs: validation, masking, and the URL actually sent to.

An email channel may be stored as a plain address ("mailto:canbo@so.gov.vn"); it is sent
through Apprise's mailto:// / mailtos:// with the SMTP server from Settings, so SMTP
credentials live in one place and never in a user's row. Any other Apprise URL (zalo://,
zns://, tgram://, slack://, a full mailtos://…) is used as it is.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, urlencode

import apprise
import apprise.plugins.email.base as _apprise_email

from models import ChannelKind
from notifications import zalo  # noqa: F401  (registers zalo:// and zns:// with Apprise)
from settings import Settings, get_settings
from tracking.errors import InvalidInput

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
_SCHEMA = re.compile(r"^([a-z][a-z0-9+.\-]*)://", re.IGNORECASE)

# Apprise builds every email's Message-ID with email.utils.make_msgid, randomly. A stable
# Message-ID derived from the outbox key lets a receiver (and our tests) recognise a resend
# after a crash, so the email module's reference is wrapped to use it while one is set.
_stable_message_id: ContextVar[str | None] = ContextVar("nhiemvu_message_id", default=None)
_original_make_msgid = _apprise_email.make_msgid


def _make_msgid(idstring: str | None = None, domain: str | None = None) -> str:
    stable = _stable_message_id.get()
    return stable if stable else _original_make_msgid(idstring=idstring, domain=domain)


_apprise_email.make_msgid = _make_msgid


@contextlib.contextmanager
def stable_message_id(message_id: str | None) -> Iterator[None]:
    token = _stable_message_id.set(message_id)
    try:
        yield
    finally:
        _stable_message_id.reset(token)


def make_asset() -> apprise.AppriseAsset:
    # Sequential dispatch keeps the send in this thread (the Message-ID context above).
    return apprise.AppriseAsset(async_mode=False, app_id="nhiemvu", app_desc="Nhắc việc")


def email_address(url: str) -> str | None:
    """The address of a plain email channel ("mailto:a@b.vn" or "a@b.vn"), else None."""
    value = url.strip()
    if value.lower().startswith("mailto:") and not value.lower().startswith("mailto://"):
        value = value[len("mailto:"):]
    return value if _ADDRESS.match(value) else None


def smtp_url(address: str, *, settings: Settings | None = None, headers: dict[str, str] | None
             = None) -> str:
    """The Apprise mailto(s):// URL that sends to `address` through the configured SMTP."""
    s = settings or get_settings()
    params: dict[str, str] = {"to": address, "from": s.smtp_from}
    if s.smtp_tls:
        schema = "mailtos"
        params["mode"] = "ssl" if s.smtp_port == 465 else "starttls"
    else:
        schema = "mailto"
    for name, value in (headers or {}).items():
        params[f"+{name}"] = value
    auth = ""
    if s.smtp_user:
        auth = quote(s.smtp_user, safe="")
        if s.smtp_password:
            auth += ":" + quote(s.smtp_password, safe="")
        auth += "@"
    return f"{schema}://{auth}{s.smtp_host}:{s.smtp_port}/?{urlencode(params)}"


def sending_url(url: str, *, headers: dict[str, str] | None = None) -> str:
    """The Apprise URL to hand to Apprise for a stored channel URL."""
    address = email_address(url)
    if address is not None:
        return smtp_url(address, headers=headers)
    if headers and _SCHEMA.match(url) and url.lower().startswith(("mailto://", "mailtos://")):
        extra = urlencode({f"+{k}": v for k, v in headers.items()})
        return url + ("&" if "?" in url else "?") + extra
    return url


def instantiate(url: str) -> Any:
    """The Apprise plugin object for a URL, or None when Apprise cannot use it."""
    return apprise.Apprise.instantiate(url, asset=make_asset())


def mask(url: str) -> str:
    """The URL with its secrets hidden, for screens and logs (Apprise's privacy mode)."""
    if email_address(url) is not None:
        return url
    plugin = instantiate(url)
    if plugin is None:
        match = _SCHEMA.match(url)
        return f"{match.group(1)}://***" if match else "***"
    return str(plugin.url(privacy=True))


def kind_of(url: str) -> ChannelKind:
    if email_address(url) is not None:
        return ChannelKind.EMAIL
    match = _SCHEMA.match(url)
    schema = match.group(1).lower() if match else ""
    if schema in ("mailto", "mailtos"):
        return ChannelKind.EMAIL
    if schema == "zalo":
        return ChannelKind.ZALO
    if schema == "zns":
        return ChannelKind.ZNS
    return ChannelKind.APPRISE


def validate(url: str, *, field: str = "url") -> str:
    """The normalised channel URL, or InvalidInput naming the field."""
    value = (url or "").strip()
    if not value:
        raise InvalidInput("channel.empty", "Chưa nhập địa chỉ kênh liên lạc", field=field)
    address = email_address(value)
    if address is not None:
        return f"mailto:{address}"
    if len(value) > 1000:
        raise InvalidInput("channel.too_long", "Địa chỉ kênh liên lạc quá dài", field=field)
    if instantiate(value) is None:
        raise InvalidInput(
            "channel.invalid_url",
            "Địa chỉ kênh liên lạc không hợp lệ (cần một địa chỉ email hoặc một URL Apprise "
            "như zalo://, zns://, mailtos://, tgram://)",
            field=field,
        )
    return value
