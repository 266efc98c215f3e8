"""A batch of emails on one SMTP connection, at a real SMTP server (aiosmtpd) that refuses a
recipient, answers 421, drops the connection between messages or in the middle of one, or is
not there at all: each message ends as it would if sent alone, none is sent twice."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Notification, NotificationKind, NotificationState
from models.types import utc_now
from notifications import smtp
from notifications.delivery import claim, deliver, message_id_for, send_one
from notifications.policy import set_policy
from settings import get_settings
from tests.servers import SmtpServer, free_port

SENT, FAILED, DEAD = NotificationState.SENT, NotificationState.FAILED, NotificationState.DEAD


@dataclass
class TroubledServer(SmtpServer):
    """SmtpServer that also knows which connection each accepted message came on, and can
    refuse recipients, or close after the n-th accepted message (at the next MAIL: with a
    421 answer or none) or drop the connection on the n-th message's DATA without answering."""

    refuse: frozenset[str] = frozenset()
    close_after: int | None = None
    close_with_421: bool = False
    drop_data_at: int | None = None
    peers: list[Any] = field(default_factory=list)
    closing: set[Any] = field(default_factory=set)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if session.peer in self.closing:
            if self.close_with_421:
                return "421 4.3.2 Máy chủ tạm ngừng, xin kết nối lại"
            server.transport.abort()
            return "421 closed"  # never arrives: the connection is gone
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Không có hộp thư này"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_data_at is not None and self.data_count + 1 == self.drop_data_at:
            self.data_count += 1
            server.transport.abort()
            return "451 dropped"  # never arrives
        answer = await super().handle_DATA(server, session, envelope)
        self.peers.append(session.peer)
        if len(self.received) == self.close_after:
            self.closing.add(session.peer)
        return answer


@pytest.fixture
def server(smtp_port: int) -> Any:
    running = TroubledServer(port=smtp_port)
    running.start()
    yield running
    running.stop()


def _outbox(engine: Engine, urls: list[str]) -> None:
    """One message per URL, all due."""
    with Session(engine) as session:
        set_policy(
            session=session,
            scope="global",
            rules={"send_window": {"start": "00:00", "end": "23:59", "working_days_only": False}},
        )
        rows = [
            Notification(
                key=f"test:batch:{n}",
                kind=NotificationKind.TEST,
                channel_url=url,
                subject=f"Nhắc việc số {n}: hạn xử lý hôm nay",
                body=f"Kính gửi anh/chị,\n\nNhiệm vụ số {n} đến hạn hôm nay.",
                next_attempt_at=utc_now() - timedelta(minutes=1),
            )
            for n, url in enumerate(urls)
        ]
        session.add_all(rows)
        session.commit()


def _rows(engine: Engine) -> dict[str, Notification]:
    with Session(engine) as session:
        return {row.channel_url: row for row in session.exec(select(Notification)).all()}


def _addresses(count: int) -> list[str]:
    return [f"mailto:cb{n}@so.example.vn" for n in range(count)]


@dataclass(frozen=True)
class Case:
    name: str
    urls: list[str]
    expected: dict[str, NotificationState]  # by URL; the rest SENT
    connections: int  # connections that carried an accepted message
    server: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # in last_error of every message not sent
    wrong_port: bool = False


ADDRESSES = _addresses(8)
CASES = [
    Case("all on one connection", _addresses(12), {}, connections=1),
    Case(
        "a refused recipient fails alone",
        ADDRESSES,
        {ADDRESSES[2]: FAILED},
        connections=1,
        server={"refuse": frozenset({"cb2@so.example.vn"})},
        error="550 5.1.1",
    ),
    Case(
        "a connection closed between messages is reopened",
        ADDRESSES,
        {},
        connections=2,
        server={"close_after": 3},
    ),
    Case(
        "a 421 between messages: reconnected",
        ADDRESSES,
        {},
        connections=2,
        server={"close_after": 5, "close_with_421": True},
    ),
    Case(
        "a connection lost in the middle of a message: that one retried later",
        ADDRESSES,
        {ADDRESSES[3]: FAILED},
        connections=2,
        server={"drop_data_at": 4},
        error="Mất kết nối",
    ),
    Case(
        "no server on the port: all retried later",
        ADDRESSES,
        dict.fromkeys(ADDRESSES, FAILED),
        connections=0,
        wrong_port=True,
        error="Không kết nối được máy chủ thư",
    ),
    Case(
        "unusable URLs are given up, the others sent",
        [ADDRESSES[0], "mailto:khong-phai-dia-chi", "mailto://?to=", ADDRESSES[1]],
        {"mailto:khong-phai-dia-chi": DEAD, "mailto://?to=": DEAD},
        connections=1,
        error="Địa chỉ kênh không hợp lệ",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_batch_of_emails(
    engine: Engine, server: TroubledServer, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in case.server.items():
        setattr(server, name, value)
    if case.wrong_port:
        monkeypatch.setenv("NHIEMVU_SMTP_PORT", str(free_port()))
        get_settings.cache_clear()
    _outbox(engine, case.urls)
    result = deliver(engine=engine, batch_size=len(case.urls), max_batches=1)

    rows = _rows(engine)
    for url in case.urls:
        row = rows[url]
        assert (url, row.state) == (url, case.expected.get(url, SENT))
        assert row.attempts == 1 and row.lease_owner is None
        if row.state == SENT:
            assert row.last_error == "" and row.sent_at is not None
        else:
            assert case.error in row.last_error
    sent = [url for url in case.urls if rows[url].state == SENT]
    assert (result.sent, result.failed + result.dead) == (len(sent), len(case.urls) - len(sent))
    # Each sent message arrived once, with the Message-ID of its key; nothing else arrived.
    assert Counter(mail.message_id for mail in server.received) == Counter(
        message_id_for(rows[url].key) for url in sent
    )
    assert [mail.to for mail in server.received] == [
        [url.removeprefix("mailto:")] for url in case.urls if url in sent
    ]
    assert len(set(server.peers)) == case.connections
    # The failed ones are retried later, after the backoff, not now.
    due_again = set(claim(engine=engine, owner="later", limit=100))
    assert not due_again & {rows[url].id for url in case.urls}


def test_the_message_has_both_alternatives_and_the_headers_of_an_automatic_mail(
    server: TroubledServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers, encoding, To and Message-ID as Apprise's email plugin sends them; From with
    the sending body's name, Auto-Submitted, the local Date; plain text and HTML."""
    monkeypatch.setenv("NHIEMVU_SMTP_FROM_NAME", "Văn phòng UBND tỉnh Quảng Ngãi")
    get_settings.cache_clear()
    body = (
        "Kính gửi: Chuyên viên Nguyễn Văn An,\n\n1. Rà soát thủ tục KH&CN <lĩnh vực 2>\n"
        "   - Xem nhiệm vụ: http://127.0.0.1:8000/tasks/7#bao-cao-tien-do\n"
    )
    outcome = send_one(
        channel_url="mailto:an@skhcn.example.vn",
        subject="[Nhắc việc] 5 nhiệm vụ cần xử lý (2 quá hạn)",
        body=body,
        key="digest:an",
    )
    assert outcome.ok
    [mail] = server.received
    message = mail.message
    assert mail.to == ["an@skhcn.example.vn"]
    assert str(make_header(decode_header(message["From"]))) == (
        "Văn phòng UBND tỉnh Quảng Ngãi <nhacviec@ubnd.example.vn>"
    )
    assert message["From"].isascii()  # encoded, not raw UTF-8 in a header
    assert message["To"] == "an@skhcn.example.vn"
    assert mail.subject == "[Nhắc việc] 5 nhiệm vụ cần xử lý (2 quá hạn)"
    assert message["Subject"].startswith("=?utf-8?q?")
    assert (message["X-Application"], message["X-Nhiemvu-Key"]) == ("nhiemvu", "digest:an")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].endswith("+0700")
    assert mail.message_id == message_id_for("digest:an")
    assert message.get_content_type() == "multipart/alternative"
    parts = message.get_payload()
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert mail.text == body
    html = mail.html
    assert "Rà soát thủ tục KH&amp;CN &lt;lĩnh vực 2&gt;" in html
    assert '<a href="http://127.0.0.1:8000/tasks/7#bao-cao-tien-do"' in html  # the address, a link
    # Nothing fetched from elsewhere, no stylesheet webmail would strip.
    assert not re.search(r"<(img|link|script|style)\b|src=|url\(", html)


@pytest.mark.parametrize("name", ["", "Văn phòng\nBcc: x@y.vn", 'Ủy ban "tỉnh"', "a@b.vn"])
def test_a_sending_name_that_would_break_the_header_is_refused(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHIEMVU_SMTP_FROM_NAME", name)
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match=r"NHIEMVU_SMTP_FROM_NAME|smtp_from_name"):
        get_settings()
    get_settings.cache_clear()


def test_connections_are_shared_per_server_and_closed_at_the_end(
    server: TroubledServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An administrator's URL naming the configured server (same host, port, TLS mode and
    # login) shares the connection of the plain addresses.
    monkeypatch.setenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    other = f"mailto://127.0.0.1:{server.port}/?to=cuong%40stc.example.vn&from=a%40b.vn"
    with smtp.Connections() as mail:
        for url in ["mailto:an@skhcn.example.vn", other, "mailto:binh@skhcn.example.vn", other]:
            assert send_one(channel_url=url, subject="Thử", body="Xin chào", mail=mail).ok
        assert mail.opened == 1
    assert len(server.received) == 4 and len(set(server.peers)) == 1
