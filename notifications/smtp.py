"""Email over SMTP connections kept open for a batch of the outbox.

Apprise's email plugin opens a connection (and TLS, and a login) for every message, and its
send takes a quarter of a second even to a local server. Here each message's headers are still
built by Apprise from its channel URL (the same encoding, From/To and Message-ID as Apprise
sends), and then handed to one connection per SMTP server (host, port, TLS mode, login) for
the whole batch, opened on first use, reopened when it drops, closed when the batch ends.

Every message is multipart/alternative: the plain text as written, and its HTML rendering
(notifications.email_html); From carries the sending body's name (settings.smtp_from_name),
Date the local time of settings.timezone, and `Auto-Submitted: auto-generated` (RFC 3834) tells
mail servers and people's vacation replies not to answer.
"""

from __future__ import annotations

import contextlib
import email
import logging
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from apprise import NotifyFormat
from apprise.plugins.email.base import NotifyEmail
from apprise.plugins.email.smtp import SMTPSecureMode

from notifications.email_html import html_of
from settings import get_settings

log = logging.getLogger(__name__)

# What a connection can fail with: the network, the SMTP dialogue, TLS (an OSError too).
ERRORS = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class Server:
    """What a connection is opened with: messages with the same Server share one."""

    host: str
    port: int
    secure_mode: str
    user: str
    password: str
    verify_certificate: bool
    timeout: float

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def of(cls, plugin: NotifyEmail) -> Server:
        return cls(
            host=str(plugin.smtp_host),
            port=int(plugin.port or 0),  # 0: smtplib's default port
            secure_mode=str(plugin.secure_mode),
            user=str(plugin.user or ""),
            password=str(plugin.password or ""),
            verify_certificate=bool(plugin.verify_certificate),
            timeout=float(plugin.socket_connect_timeout),
        )


class _Connection(smtplib.SMTP):
    """smtplib.SMTP that tells whether the message itself (DATA) was started: before that a
    failed send can be repeated on a new connection without any risk of a second copy."""

    data_started = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


class _TlsConnection(smtplib.SMTP_SSL, _Connection):
    pass


class Unreachable(Exception):
    """The SMTP server could not be connected to (or refused the TLS handshake or login)."""


@dataclass(frozen=True)
class Sent:
    ok: bool
    error: str = ""


def is_plain_email(plugin: Any) -> bool:
    """Apprise's own SMTP email plugin (its subclasses speak other protocols)."""
    return type(plugin) is NotifyEmail


def _tls_context(server: Server) -> ssl.SSLContext:
    # Made only for a TLS server: loading the system's certificates takes a while.
    context = ssl.create_default_context()
    if not server.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _open(server: Server) -> _Connection:
    connection: _Connection | None = None
    try:
        if server.secure_mode == SMTPSecureMode.SSL:
            connection = _TlsConnection(
                server.host, server.port, timeout=server.timeout, context=_tls_context(server)
            )
        else:
            connection = _Connection(server.host, server.port, timeout=server.timeout)
            if server.secure_mode == SMTPSecureMode.STARTTLS:
                connection.starttls(context=_tls_context(server))
        if server.user and server.password:
            connection.login(server.user, server.password)
    except ERRORS as error:
        if connection is not None:
            connection.close()
        raise Unreachable(f"Không kết nối được máy chủ thư {server}: {error}") from error
    return connection


class Connections:
    """The SMTP connections of one batch, one per server. A server that cannot be reached is
    not tried again within the batch: its other messages fail at once (and are retried later
    as any failure), rather than each wait for the connection timeout."""

    def __init__(self) -> None:
        self._open: dict[Server, _Connection] = {}
        self._unreachable: dict[Server, str] = {}
        self.opened = 0  # connections opened, reconnections included

    def __enter__(self) -> Connections:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._open.values():
            with contextlib.suppress(*ERRORS):
                connection.quit()
            connection.close()
        self._open.clear()

    def _connection(self, server: Server) -> _Connection:
        if server in self._unreachable:
            raise Unreachable(self._unreachable[server])
        connection = self._open.get(server)
        if connection is None:
            try:
                connection = _open(server)
            except Unreachable as error:
                self._unreachable[server] = str(error)
                raise
            self.opened += 1
            self._open[server] = connection
        connection.data_started = False
        return connection

    def _drop(self, server: Server) -> None:
        connection = self._open.pop(server, None)
        if connection is not None:
            connection.close()

    def _transmit(self, server: Server, sender: str, recipients: list[str], raw: str) -> None:
        """Hand one message over; raises what smtplib raises (a refusal, a lost connection).
        A connection lost before the message itself was started (an idle connection the
        server closed, a 421 "closing" answer) is opened again and the message sent on it."""
        for last_try in (False, True):
            connection = self._connection(server)
            lost: Exception
            try:
                refused = connection.sendmail(sender, recipients, raw)
            except smtplib.SMTPRecipientsRefused:
                raise  # an answer about the recipients: the connection is still good
            except smtplib.SMTPResponseException as error:
                if error.smtp_code != 421:
                    raise  # the sender or the message refused: the connection is still good
                lost = error  # 421: the server is closing the connection
            except ERRORS as error:  # closed, reset, timed out (SMTPException is an OSError)
                lost = error
            else:
                if refused:  # some recipients of several were refused
                    raise smtplib.SMTPRecipientsRefused(refused)
                return
            self._drop(server)
            if last_try or connection.data_started:
                raise lost
            log.info("SMTP connection to %s lost between messages; reconnecting", server)

    def send(self, plugin: NotifyEmail, *, subject: str, body: str) -> Sent:
        """Send `body` (plain text, and its HTML rendering) with `subject` as the plugin
        would, on this batch's connection to its server. The Message-ID follows
        channels.stable_message_id."""
        server = Server.of(plugin)
        headers = {
            "X-Application": plugin.app_id,
            "Auto-Submitted": "auto-generated",
            **plugin.headers,
        }
        html = html_of(subject=subject, text=body)
        try:
            for message in _messages(plugin, subject=subject, headers=headers):
                raw = _alternative(message.body, text=body, html=html)
                self._transmit(server, str(plugin.from_addr[1]), message.to_addrs, raw)
        except Unreachable as error:
            return Sent(False, str(error))
        except smtplib.SMTPRecipientsRefused as error:
            refusals = "; ".join(
                f"{address}: {code} {_text(answer)}"
                for address, (code, answer) in error.recipients.items()
            )
            return Sent(False, f"Máy chủ thư {server} từ chối người nhận ({refusals})")
        except smtplib.SMTPResponseException as error:
            return Sent(
                False, f"Máy chủ thư {server} từ chối: {error.smtp_code} {_text(error.smtp_error)}"
            )
        except ERRORS as error:
            return Sent(False, f"Mất kết nối tới máy chủ thư {server} khi gửi: {error}")
        return Sent(True)


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer


# The headers of Apprise's single-part message that describe its body, not the message.
_BODY_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


def _alternative(raw: str, *, text: str, html: str) -> str:
    """Apprise's message `raw` (its headers, already encoded) with the body replaced by a
    multipart/alternative of `text` and `html`, plain first (RFC 2046: least preferred)."""
    prepared = email.message_from_string(raw)
    message = MIMEMultipart("alternative")
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    for name, value in prepared.items():
        if name.lower() not in _BODY_HEADERS:
            message[name] = value
    return message.as_string()


def _messages(plugin: NotifyEmail, *, subject: str, headers: dict[str, str]) -> Iterator[Any]:
    """The messages Apprise's plugin would send (one per To address), built by Apprise, with
    an empty body (_alternative puts the body in)."""
    settings = get_settings()
    # A URL naming its own sender keeps it; the configured address gets the body's name.
    from_addr = (plugin.from_addr[0] or settings.smtp_from_name, plugin.from_addr[1])
    return NotifyEmail.prepare_emails(  # type: ignore[no-any-return]
        subject=subject,
        body="",
        notify_format=NotifyFormat.TEXT,
        from_addr=from_addr,
        to=plugin.targets,
        cc=plugin.cc,
        bcc=plugin.bcc,
        reply_to=plugin.reply_to,
        smtp_host=plugin.smtp_host,
        attach=None,
        headers=headers,
        names=plugin.names,
        pgp=plugin.pgp,
        pgp_mode=plugin.pgp_mode,
        inline=plugin.inline,
        tzinfo=ZoneInfo(settings.timezone),
    )
