"""The zalo:// and zns:// Apprise plugins against a local HTTP server behaving as Zalo's API."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import apprise
import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import ChannelKind, Notification, NotificationState, ZaloToken
from notifications import channels, zalo
from notifications.contacts import add_contact_channels
from notifications.delivery import (
    OA_INTERACTION_CODE,
    OaContactNeeded,
    deliver,
    list_outbox,
    oa_contact_needed,
    send_one,
    send_test,
)
from notifications.planner import plan_reminders
from notifications.tokens import DbTokenStore, save_zalo_tokens
from settings import get_settings
from tests.notifications.conftest import AS_OF, World, ZaloState
from tests.servers import SmtpServer, free_port
from tracking.audit import SYSTEM
from tracking.errors import InvalidInput

OA = "4318270000000000001"


@pytest.fixture
def store(engine: Engine, zalo_api: tuple[str, ZaloState]) -> Iterator[DbTokenStore]:
    with Session(engine) as session:
        save_zalo_tokens(
            session=session, oa_id=OA, app_id="APP", access_token="AT-1", refresh_token="RT-1"
        )
        session.commit()
    token_store = DbTokenStore(engine)
    zalo.set_token_store(token_store)
    yield token_store
    zalo.set_token_store(None)


def _pair(engine: Engine) -> tuple[str, str, int]:
    with Session(engine) as session:
        row = session.exec(select(ZaloToken).where(ZaloToken.oa_id == OA)).one()
        return row.access_token, row.refresh_token, row.version


def test_message_is_sent_with_the_access_token_header(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    outcome = send_one(
        channel_url=f"zalo://{OA}/7001",
        subject="Nhắc việc",
        body="Còn 1 ngày làm việc: Báo cáo tháng 3",
    )
    assert outcome.ok, outcome.error
    assert api.messages == [
        {
            "path": "/v3.0/oa/message/cs",
            "recipient": {"user_id": "7001"},
            # Zalo has no title: Apprise puts it on the first line of the text.
            "message": {"text": "Nhắc việc\r\nCòn 1 ngày làm việc: Báo cáo tháng 3"},
        }
    ]
    assert api.refreshes == 0


def test_error_code_on_http_200_is_a_failure(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    api.error_for_user["7002"] = (-201, "Parameters are invalid")
    outcome = send_one(channel_url=f"zalo://{OA}/7002", subject="", body="xin chào")
    assert not outcome.ok and not outcome.permanent
    assert "error=-201" in outcome.error and "Parameters are invalid" in outcome.error
    assert api.messages == []


def test_expired_token_is_refreshed_once_stored_atomically_and_retried(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    api.access_tokens = {"AT-server-only"}  # ours (AT-1) has expired
    api.refresh_tokens = {"RT-1"}
    outcome = send_one(channel_url=f"zalo://{OA}/7003", subject="", body="Hạn xử lý hôm nay")
    assert outcome.ok, outcome.error
    assert api.refreshes == 1 and len(api.messages) == 1
    access, refresh, version = _pair(engine)
    assert (access, refresh, version) == ("AT-2", "RT-2", 2)
    # The old refresh token is dead at Zalo; the stored one is the live one.
    assert "RT-1" not in api.refresh_tokens and refresh in api.refresh_tokens
    # The next send uses the stored new token without refreshing again.
    assert send_one(channel_url=f"zalo://{OA}/7003", subject="", body="lần 2").ok
    assert api.refreshes == 1


def test_refused_refresh_fails_and_keeps_the_stored_pair(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    api.access_tokens = {"AT-server-only"}
    api.refuse_refresh = True
    outcome = send_one(channel_url=f"zalo://{OA}/7004", subject="", body="x")
    assert not outcome.ok
    assert "refresh was refused" in outcome.error and "-14014" in outcome.error
    assert _pair(engine) == ("AT-1", "RT-1", 1)
    assert api.messages == []


def test_a_token_someone_else_refreshed_is_not_refreshed_again(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    # Another worker refreshed first: our stale token is not the stored one any more.
    first = store.refresh(OA, "AT-1")
    assert first == "AT-2" and api.refreshes == 1
    assert store.refresh(OA, "AT-1") == "AT-2"
    assert api.refreshes == 1


def test_zns_template_message_to_a_phone_number(
    engine: Engine, zalo_api: tuple[str, ZaloState], store: DbTokenStore
) -> None:
    _, api = zalo_api
    url = f"zns://{OA}/0912345678?template=251234&:ten_can_bo=Nguyễn Văn An&tracking=r-1"
    assert send_one(channel_url=url, subject="", body="3 nhiệm vụ cần xử lý").ok
    assert api.messages == [
        {
            "path": "/message/template",
            "phone": "84912345678",
            "template_id": "251234",
            "template_data": {"ten_can_bo": "Nguyễn Văn An", "noi_dung": "3 nhiệm vụ cần xử lý"},
            "tracking_id": "r-1",
        }
    ]


class _Closer(BaseHTTPRequestHandler):
    """Accepts the connection, then hangs up without an answer (a broken upstream)."""

    def do_POST(self) -> None:
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def closer_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Closer)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# Apprise-style table: (url, instance expected, setup of the fake API, notify result).
URL_TABLE: list[tuple[str, bool, dict[str, Any], bool]] = [
    ("zalo://", False, {}, False),  # no OA id
    ("zalo://%20/7001", False, {}, False),  # blank OA id
    (f"zalo://{OA}/7001?mode=broadcast", False, {}, False),  # unknown mode
    (f"zalo://{OA}", True, {}, False),  # no users to notify
    (f"zalo://{OA}/bad!id", True, {}, False),  # invalid user id dropped
    (f"zalo://{OA}/7001", True, {}, True),
    (f"zalo://{OA}/7001/7002", True, {}, True),
    (f"zalo://{OA}/?to=7001,7002&mode=transaction", True, {}, True),
    (f"zalo://AT-1@{OA}/7001", True, {}, True),  # a fixed token in the URL
    (f"zalo://WRONG@{OA}/7001", True, {}, False),  # fixed token: no refresh possible
    (f"zalo://{OA}/7500", True, {"status": 500}, False),
    (f"zalo://{OA}/7404", True, {"status": 404}, False),
    (f"zalo://{OA}/7999", True, {"error": -230}, False),
    (f"zalo://{OA}/7001", True, {"refused": True}, False),  # connection refused
    (f"zalo://{OA}/7001", True, {"hangup": True}, False),  # connection dropped
    ("zns://", False, {}, False),
    (f"zns://{OA}/0912345678", False, {}, False),  # template required
    (f"zns://{OA}/0912345678?template=bad%20id", False, {}, False),
    (f"zns://{OA}/12345?template=T1", True, {}, False),  # not a VN mobile number
    (f"zns://{OA}/+84912345678?template=T1", True, {}, True),
    (f"zns://{OA}/0912345678?template=T1", True, {"status": 500}, False),
]


@pytest.mark.parametrize(
    ("url", "valid", "setup", "expected"),
    URL_TABLE,
    ids=[f"{n}:{row[0][:40]}" for n, row in enumerate(URL_TABLE)],
)
def test_url_table(
    engine: Engine,
    zalo_api: tuple[str, ZaloState],
    store: DbTokenStore,
    closer_base: str,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    valid: bool,
    setup: dict[str, Any],
    expected: bool,
) -> None:
    _, api = zalo_api
    target = url
    # The Zalo hosts come from the settings only (never from the URL).
    if setup.get("refused"):
        monkeypatch.setenv("NHIEMVU_ZALO_API_BASE", f"http://127.0.0.1:{free_port()}")
    if setup.get("hangup"):
        monkeypatch.setenv("NHIEMVU_ZALO_API_BASE", closer_base)
    get_settings.cache_clear()
    for who in ("7500", "7404", "84912345678"):
        if setup.get("status"):
            api.status_for_user[who] = setup["status"]
    if setup.get("error"):
        api.error_for_user["7999"] = (setup["error"], "refused")
    plugin = channels.instantiate(target)
    assert (plugin is not None) == valid
    if plugin is None:
        with pytest.raises(InvalidInput) as error:
            channels.validate(target, actor=SYSTEM)
        assert error.value.code == "channel.invalid_url"
        return
    # Apprise never raises: notify() says True or False.
    assert plugin.notify(body="Nội dung", title="Tiêu đề") is expected
    # The privacy URL hides the token and still describes a usable plugin of the same kind.
    private = plugin.url(privacy=True)
    assert "AT-1" not in private and "WRONG" not in private
    public = apprise.Apprise.instantiate(plugin.url())
    assert public is not None and type(public) is type(plugin)
    assert public.url() == plugin.url()


def test_send_test_validates_the_url(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as error:
        send_test(channel_url="khong-phai-url", actor=SYSTEM, engine=engine)
    assert error.value.field == "channel_url"


@dataclass(frozen=True)
class Refusal:
    not_following: bool
    days_since_interaction: int
    state: NotificationState
    code: str  # Zalo's answer


@pytest.mark.parametrize(
    "case",
    [
        Refusal(False, 2, NotificationState.SENT, "0"),
        Refusal(False, 8, NotificationState.DEAD, "-230"),
        Refusal(True, 0, NotificationState.DEAD, "-213"),
    ],
    ids=lambda case: case.code,
)
def test_a_person_the_oa_may_not_write_to_is_final_at_once_and_the_admins_are_told(
    engine: Engine,
    world: World,
    smtp: SmtpServer,
    zalo_api: tuple[str, ZaloState],
    store: DbTokenStore,
    monkeypatch: pytest.MonkeyPatch,
    case: Refusal,
) -> None:
    """Zalo refuses a consultation message to someone who does not follow the Official
    Account (-213) or has not messaged it for 7 days (-230): that message ends at its first
    attempt, the person's e-mail still carries the digest, and the administrators are told
    who must message the Official Account."""
    _, api = zalo_api
    monkeypatch.setenv("NHIEMVU_ADMIN_EMAILS", "quantri@ubnd.example.vn")
    get_settings.cache_clear()
    if case.not_following:
        api.not_following.add("7002")
    api.days_since_interaction["7002"] = case.days_since_interaction
    at = datetime(2026, 3, 9, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(at), Session(engine, expire_on_commit=False) as session:
        add_contact_channels(
            session=session,
            user_id=world.officer_a.id or 0,
            urls=[f"zalo://{OA}/7002"],
            actor=SYSTEM,
        )
        plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        deliver(engine=engine)
        rows = session.exec(
            select(Notification).where(Notification.recipient_user_id == world.officer_a.id)
        ).all()
    by_kind = {channels.kind_of(row.channel_url): row for row in rows}
    zalo_row = by_kind[ChannelKind.ZALO]
    assert (zalo_row.state, zalo_row.attempts) == (case.state, 1)
    assert by_kind[ChannelKind.EMAIL].state == NotificationState.SENT
    assert len(smtp.to("an@skhcn.example.vn")) == 1
    alerts = smtp.to("quantri@ubnd.example.vn")
    if case.state == NotificationState.SENT:
        assert zalo_row.last_error == "" and alerts == []
        return
    assert zalo_row.last_error.startswith(f"[{OA_INTERACTION_CODE}]")
    # The listing an administrator reads shows the reason.
    with Session(engine) as session:
        [listed] = [e for e in list_outbox(session=session) if e.id == zalo_row.id]
    assert listed.state == NotificationState.DEAD and OA_INTERACTION_CODE in listed.last_error
    [alert] = alerts
    assert "Nguyễn Văn An" in alert.text
    assert "nhắn một tin bất kỳ cho Official Account" in alert.text
    # The command line's `deliver` lists the same people (oa_contact_needed).
    with Session(engine) as session:
        assert oa_contact_needed(session=session) == [
            OaContactNeeded(zalo_row.id or 0, "Nguyễn Văn An", channels.mask(zalo_row.channel_url))
        ]
