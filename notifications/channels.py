"""Contact channels as Apprise URLs: who may add what, validation, masking, and the URL
actually sent to.

The rule (issue 9), in this module only:
- anybody may add an email address (stored as "mailto:canbo@so.gov.vn"): it is sent through
  the SMTP server and with the sender from Settings, so SMTP credentials live in one place;
- anybody may add a Zalo/ZNS recipient (zalo://{oa}/{user}, zns://{oa}/{phone}?template=…):
  the Zalo hosts come from Settings only, so the Official Account's tokens go nowhere else;
- any other Apprise URL (json://, ntfy://, tgram://, a full mailtos://…) only an
  administrator (or the operator at the console), and even then never to a loopback,
  private, link-local, multicast, reserved or unspecified address unless listed in
  NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS. That is checked when the URL is added and again
  right before every send (a name may resolve elsewhere later; rows may predate the rule).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import apprise
import apprise.plugins.email.base as _apprise_email

from models import ChannelKind, Role
from notifications import zalo  # noqa: F401  (registers zalo:// and zns:// with Apprise)
from settings import Settings, get_settings
from tracking.audit import Actor
from tracking.errors import Forbidden, InvalidInput
from tracking.validation import EMAIL_ADDRESS

_ADDRESS = EMAIL_ADDRESS
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
    # Redirects are never followed: a public host could send the request on to a private one.
    return apprise.AppriseAsset(
        async_mode=False, app_id="nhiemvu", app_desc="Nhắc việc", http_redirects=False
    )


def email_address(url: str) -> str | None:
    """The address of a plain email channel ("mailto:a@b.vn" or "a@b.vn"), else None."""
    value = url.strip()
    if value.lower().startswith("mailto:") and not value.lower().startswith("mailto://"):
        value = value[len("mailto:") :]
    return value if _ADDRESS.match(value) else None


def smtp_url(
    address: str, *, settings: Settings | None = None, headers: dict[str, str] | None = None
) -> str:
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


ZALO_SCHEMAS = ("zalo", "zns")


def _schema(url: str) -> str:
    match = _SCHEMA.match(url)
    return match.group(1).lower() if match else ""


def may_use_any_url(actor: Actor) -> bool:
    """Administrators, and the operator at the console (an actor that is no user), may add
    any Apprise URL; other users an email address or a Zalo/ZNS recipient only."""
    return actor.role == Role.ADMIN or actor.user_id is None


class RefusedTarget(Exception):
    """A URL whose target must not be reached; the message is for people (Vietnamese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _allowed_private() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in get_settings().channel_allowed_private_hosts.split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise RefusedTarget(
            "channel.unresolvable_host", f"không phân giải được tên máy {host}"
        ) from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_host(host: str) -> None:
    """RefusedTarget unless every address `host` resolves to is public or allowed."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host:
        raise RefusedTarget("channel.unresolvable_host", "địa chỉ không có tên máy")
    names, networks = _allowed_private()
    if host in names:
        return
    for address in _addresses(host):
        if not _is_public(address) and not any(address in net for net in networks):
            raise RefusedTarget(
                "channel.private_target",
                f"{host} trỏ tới địa chỉ nội bộ hoặc dành riêng ({address}); chỉ được dùng khi "
                "có trong NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS",
            )


def _is_configured_smtp(plugin: Any) -> bool:
    s = get_settings()
    return bool(plugin.smtp_host == s.smtp_host and int(plugin.port or 0) == s.smtp_port)


def _checked_plugin(url: str) -> Any:
    """The Apprise plugin for a free (administrator's) URL whose network target is allowed.

    The host a plugin connects to is its `host` token when the plugin declares one (self
    hosted services: json://, ntfy://, rsyslog://, gotify://…); services with a fixed host
    (tgram://, slack://…) put tokens there instead. Email connects to its SMTP host."""
    plugin = instantiate(url)
    if plugin is None:
        return None
    hosts: list[str] = []
    if isinstance(plugin, _apprise_email.NotifyEmail):
        if not _is_configured_smtp(plugin):
            hosts.append(str(plugin.smtp_host or ""))
    elif "host" in plugin.template_tokens:
        hosts.append(str(plugin.host or ""))
    for host in hosts:
        check_host(host)
    plugin.redirects = False
    return plugin


def sendable_plugin(url: str, *, headers: dict[str, str] | None = None) -> Any:
    """The Apprise plugin to send a stored channel URL with, checked right before sending.

    RefusedTarget when its target is not allowed (final: retrying cannot help); None when
    Apprise cannot use the URL at all."""
    target = sending_url(url, headers=headers)
    if email_address(url) is not None or _schema(url) in ZALO_SCHEMAS:
        return instantiate(target)  # the hosts come from Settings
    return _checked_plugin(target)


def validate(url: str, *, actor: Actor, field: str = "url") -> str:
    """The normalised channel URL if `actor` may use it, else InvalidInput (a bad or
    refused URL) or Forbidden (a kind of channel only an administrator may add)."""
    value = (url or "").strip()
    if not value:
        raise InvalidInput("channel.empty", "Chưa nhập địa chỉ kênh liên lạc", field=field)
    address = email_address(value)
    if address is not None:
        return f"mailto:{address}"
    if len(value) > 1000:
        raise InvalidInput("channel.too_long", "Địa chỉ kênh liên lạc quá dài", field=field)
    plugin = instantiate(value)
    if plugin is None:
        raise InvalidInput(
            "channel.invalid_url",
            "Địa chỉ kênh liên lạc không hợp lệ (cần một địa chỉ email hoặc một URL Apprise "
            "như zalo://, zns://, mailtos://, tgram://)",
            field=field,
        )
    if _schema(value) in ZALO_SCHEMAS:
        query = {name.lower() for name, _ in parse_qsl(urlsplit(value).query)}
        if query & {"base", "oauth"}:
            raise InvalidInput(
                "channel.zalo_host",
                "Địa chỉ máy chủ Zalo lấy từ cấu hình hệ thống, không ghi trong kênh liên lạc",
                field=field,
            )
        return value
    if not may_use_any_url(actor):
        raise Forbidden(
            "channel.admin_only",
            "Chỉ được thêm một địa chỉ email hoặc người nhận Zalo/ZNS; các loại kênh khác "
            "(URL Apprise, máy chủ thư riêng) do quản trị viên thêm",
            field=field,
        )
    try:
        _checked_plugin(value)
    except RefusedTarget as error:
        raise InvalidInput(error.code, f"Kênh liên lạc bị từ chối: {error}", field=field) from None
    return value
