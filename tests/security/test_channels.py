"""Issue 9, items 1, 2 and part of 11: contact channels, Zalo tokens, outgoing requests and
secrets at rest. Each test performs the attack as reported and asserts that it fails and that
nothing changed; every test runs on SQLite and on PostgreSQL.

The attacker's server is a real HTTP listener on 127.0.0.1 (tests/security/conftest.py), the
mail server a real aiosmtpd, the Zalo API a local HTTP server behaving as Zalo documents it,
reached only through the settings (NHIEMVU_ZALO_API_BASE…), never through a user's URL.
"""

from __future__ import annotations

import logging
import stat
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import (
    ChannelKind,
    ContactChannel,
    Notification,
    NotificationKind,
    NotificationState,
    Role,
    User,
    ZaloToken,
)
from models.db import make_engine
from models.encryption import configured_keys, digest
from models.migrate import alembic_config
from notifications import channels, delivery
from notifications.secret_keys import rotate_secrets
from notifications.tokens import save_zalo_tokens
from settings import Environment, Settings, get_settings
from tests.api.conftest import World
from tests.conftest import scratch_postgres
from tests.notifications.conftest import ZaloState
from tests.security.conftest import ATTACKER_PAIR, Listener
from tests.servers import SmtpServer, free_port

OA = "4318270000000000001"
TEST = "/api/v1/reminders/test"
OFFICER = ("coord", Role.OFFICER)
ADMIN = ("other", Role.ADMIN)


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No private host is allowed unless a test says so; settings re-read per test."""
    monkeypatch.delenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _channels_url(world: World, who: tuple[str, Role]) -> str:
    return f"/api/v1/users/{world.users[who].id}/channels"


def _stored(world: World, who: tuple[str, Role]) -> list[tuple[int, str, bool]]:
    with world.session() as session:
        rows = session.exec(
            select(ContactChannel)
            .where(ContactChannel.user_id == world.users[who].id)
            .order_by(col(ContactChannel.id))
        )
        return [(r.id or 0, r.url, r.active) for r in rows]


def _legacy_channel(world: World, who: tuple[str, Role], url: str) -> int:
    """A row stored before the fix (straight into the table, as the old API allowed)."""
    with world.session() as session:
        row = ContactChannel(user_id=world.users[who].id or 0, kind=ChannelKind.APPRISE, url=url)
        session.add(row)
        session.commit()
        return row.id or 0


def _token_pair(world: World) -> tuple[str, str, int]:
    with world.session() as session:
        row = session.exec(select(ZaloToken).where(ZaloToken.oa_id == OA)).one()
        return row.access_token, row.refresh_token, row.version


@pytest.fixture
def zalo_tokens(world: World, zalo_api: tuple[str, ZaloState]) -> ZaloState:
    """The Official Account's pair AT-1/RT-1, stored as the `zalo-token` command does."""
    _, state = zalo_api
    with world.session() as session:
        save_zalo_tokens(
            session=session, oa_id=OA, app_id="APP", access_token="AT-1", refresh_token="RT-1"
        )
        session.commit()
    return state


def _deliver_one(world: World, *, url: str, key: str) -> Notification:
    """Queue one message to `url` and run the real delivery (as the digest flow does)."""
    with world.session() as session:
        row = Notification(
            key=key,
            kind=NotificationKind.TEST,
            channel_url=url,
            subject="Nhắc việc",
            body="Nội dung",
            next_attempt_at=delivery.next_window_opening(world.engine) - timedelta(minutes=1),
        )
        session.add(row)
        session.commit()
        notification_id = row.id
    delivery.deliver(engine=world.engine, at=delivery.next_window_opening(world.engine))
    with world.session() as session:
        done = session.get(Notification, notification_id)
        assert done is not None
        return done


# --- item 1: the Zalo token theft ----------------------------------------------------------

ZALO_THEFT = [
    "zalo://{oa}/7001?base={evil}&oauth={evil}",
    "zalo://{oa}/7001?base={evil}",
    "zalo://{oa}/7001?oauth={evil}",
    "zalo://{oa}/7001?BASE={evil}",
    "zns://{oa}/0912345678?template=T1&base={evil}&oauth={evil}",
]


@pytest.mark.parametrize("template", ZALO_THEFT)
@pytest.mark.parametrize("who", [OFFICER, ADMIN], ids=["officer", "admin"])
def test_zalo_url_cannot_send_the_tokens_elsewhere(
    world: World, zalo_tokens: ZaloState, listener: Listener, template: str, who: tuple[str, Role]
) -> None:
    url = template.format(oa=OA, evil=listener.base)
    before, pair = _stored(world, who), _token_pair(world)
    for method in (world.client.put, world.client.post):
        answer = method(
            _channels_url(world, who), json={"urls": [url]}, headers=world.headers(*who)
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["code"] == "channel.zalo_host"
        assert answer.json()["detail"][0]["field"] == "urls[0]"
    if who == ADMIN:
        tested = world.client.post(TEST, json={"channel_url": url}, headers=world.headers(*who))
        assert tested.status_code == 422, tested.text
        assert tested.json()["detail"][0]["code"] == "channel.zalo_host"
    assert listener.requests == []
    assert zalo_tokens.messages == [] and zalo_tokens.refreshes == 0
    assert _stored(world, who) == before and _token_pair(world) == pair
    assert pair[:2] == ("AT-1", "RT-1")


def test_zalo_row_stored_before_the_fix_sends_to_the_configured_hosts_only(
    world: World, zalo_tokens: ZaloState, listener: Listener
) -> None:
    url = f"zalo://{OA}/7001?base={listener.base}&oauth={listener.base}"
    channel_id = _legacy_channel(world, OFFICER, url)
    # The test message checks the stored URL again: refused, nothing sent.
    tested = world.client.post(
        TEST, json={"channel_id": channel_id}, headers=world.headers(*OFFICER)
    )
    assert tested.status_code == 422 and tested.json()["detail"][0]["code"] == "channel.zalo_host"
    pair = _token_pair(world)
    assert listener.requests == [] and pair[:2] == ("AT-1", "RT-1")
    # The digest: the token has expired, so it is refreshed and the message retried; the
    # plugin ignores the URL's hosts, so both go to Zalo (the settings), none to the attacker.
    zalo_tokens.access_tokens = {"AT-server-only"}
    sent = _deliver_one(world, url=url, key="security:zalo:legacy")
    assert sent.state == NotificationState.SENT, sent.last_error
    assert listener.requests == []
    assert zalo_tokens.refreshes == 1 and len(zalo_tokens.messages) == 1
    access, refresh, version = _token_pair(world)
    assert (access, refresh, version) == ("AT-2", "RT-2", pair[2] + 1)
    assert ATTACKER_PAIR["access_token"] not in (access, refresh)


# --- item 2: SSRF and mail relay through channels ------------------------------------------

# {port}: the attacker's listener on 127.0.0.1 (a request there would be recorded).
SSRF = [
    ("loopback", "json://127.0.0.1:{port}/hook", "channel.private_target"),
    ("localhost", "json://localhost:{port}/hook", "channel.private_target"),
    ("ipv6-loopback", "json://[::1]:{port}/hook", "channel.private_target"),
    ("unspecified", "json://0.0.0.0:{port}/hook", "channel.private_target"),
    ("private-10", "xml://10.0.0.5/api", "channel.private_target"),
    ("private-192", "form://192.168.1.10/submit", "channel.private_target"),
    ("metadata", "json://169.254.169.254/latest/meta-data/", "channel.private_target"),
    ("multicast", "json://224.0.0.1/x", "channel.private_target"),
    ("ntfy", "ntfy://127.0.0.1:{port}/topic", "channel.private_target"),
    ("rsyslog", "rsyslog://127.0.0.1:{port}", "channel.private_target"),
    (
        "headers",
        "json://127.0.0.1:{port}/?+X-Forwarded-For=127.0.0.1&+Authorization=Bearer%20x",
        "channel.private_target",
    ),
    (
        "mail-relay",
        "mailto://127.0.0.1:{port}?to=nannhan@ngoai.example&from=chutich%40ubnd."
        "gov.vn&name=Chu%20tich&+Reply-To=ke.gian%40evil.example",
        "channel.private_target",
    ),
    (
        "mail-own-server",
        "mailtos://user:pw@smtp.ke-gian.invalid?to=nannhan@ngoai.example"
        "&from=chutich%40ubnd.gov.vn",
        "channel.unresolvable_host",
    ),
]
# Public targets: refused for an officer all the same (only an email address or Zalo).
OFFICER_ONLY = [
    ("public-headers", "json://203.162.4.191/hook?+X-Header=tiem", ""),
    (
        "public-relay",
        "mailtos://user:pw@203.162.4.191?to=nannhan@ngoai.example&from=chutich"
        "%40ubnd.gov.vn&name=Chu%20tich&+Reply-To=ke.gian%40evil.example",
        "",
    ),
    ("telegram", "tgram://123456789:AAHsecretBotToken/-100123", ""),
]


# Addresses no channel may reach, whatever the URL's plugin: IPv4 and IPv6 forms.
NOT_PUBLIC = [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "0.0.0.0",
    "::",
    "10.20.30.40",
    "172.16.0.1",
    "192.168.0.1",
    "100.64.0.1",
    "169.254.169.254",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "[::1]",
    "localhost",
    "LOCALHOST.",
]


@pytest.mark.parametrize("host", NOT_PUBLIC)
def test_no_private_reserved_or_multicast_address(host: str) -> None:
    with pytest.raises(channels.RefusedTarget) as refused:
        channels.check_host(host)
    assert refused.value.code == "channel.private_target"


@pytest.mark.parametrize("host", ["203.162.4.191", "2001:4860:4860::8888", "[2001:db9::1]"])
def test_public_addresses_pass(host: str) -> None:
    channels.check_host(host)


@pytest.mark.parametrize(
    ("name", "template", "admin_code"),
    SSRF + OFFICER_ONLY,
    ids=[row[0] for row in SSRF + OFFICER_ONLY],
)
def test_officer_may_add_an_email_address_or_zalo_only(
    world: World, listener: Listener, name: str, template: str, admin_code: str
) -> None:
    url = template.format(port=listener.port)
    before = _stored(world, OFFICER)
    for method in (world.client.put, world.client.post):
        answer = method(
            _channels_url(world, OFFICER),
            json={"urls": ["an@stc.example.vn", url]},
            headers=world.headers(*OFFICER),
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["detail"] == [
            {
                "code": "channel.admin_only",
                "field": "urls[1]",
                "row": None,
                "message": "Chỉ được thêm một địa chỉ email hoặc người nhận Zalo/ZNS; các loại "
                "kênh khác (URL Apprise, máy chủ thư riêng) do quản trị viên thêm",
            }
        ]
    tested = world.client.post(TEST, json={"channel_url": url}, headers=world.headers(*OFFICER))
    assert tested.status_code == 403
    assert _stored(world, OFFICER) == before and listener.requests == []


@pytest.mark.parametrize(("name", "template", "code"), SSRF, ids=[row[0] for row in SSRF])
def test_admin_url_cannot_reach_a_private_target(
    world: World, listener: Listener, name: str, template: str, code: str
) -> None:
    url = template.format(port=listener.port)
    before = _stored(world, ADMIN)
    answer = world.client.post(
        _channels_url(world, ADMIN), json={"urls": [url]}, headers=world.headers(*ADMIN)
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["code"] == code
    assert answer.json()["detail"][0]["field"] == "urls[0]"
    assert answer.json()["detail"][0]["message"].startswith("Kênh liên lạc bị từ chối: ")
    tested = world.client.post(TEST, json={"channel_url": url}, headers=world.headers(*ADMIN))
    assert tested.status_code == 422 and tested.json()["detail"][0]["code"] == code
    assert _stored(world, ADMIN) == before and listener.requests == []


def test_admin_may_reach_a_private_host_the_setting_allows(
    world: World, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [
        f"json://127.0.0.1:{listener.port}/hook?+X-Nguon=nhiemvu",
        f"json://localhost:{listener.port}/ten-may",
    ]
    for allowed in ("127.0.0.1,::1", "127.0.0.0/8, ::1/128, 10.0.0.0/8", "localhost,127.0.0.1"):
        monkeypatch.setenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS", allowed)
        get_settings.cache_clear()
        for url in urls:
            assert (
                world.client.post(
                    TEST, json={"channel_url": url}, headers=world.headers(*ADMIN)
                ).json()["ok"]
                is True
            )
    assert [r["path"] for r in listener.requests] == ["/hook", "/ten-may"] * 3
    assert listener.requests[0]["headers"]["X-Nguon"] == "nhiemvu"
    # Stored as a channel, then the setting is withdrawn: its next send is refused as final.
    added = world.client.post(
        _channels_url(world, ADMIN), json={"urls": [urls[0]]}, headers=world.headers(*ADMIN)
    )
    assert added.status_code == 201, added.text
    monkeypatch.delenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS")
    get_settings.cache_clear()
    channel_id = next(c for c, url, _ in _stored(world, ADMIN) if url == urls[0])
    refused = world.client.post(
        TEST, json={"channel_id": channel_id}, headers=world.headers(*ADMIN)
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["code"] == "channel.private_target"
    assert len(listener.requests) == 6


@pytest.mark.parametrize("who", [OFFICER, ADMIN], ids=["officer", "admin"])
def test_private_target_stored_before_the_fix_is_not_sent_nor_retried(
    world: World, listener: Listener, who: tuple[str, Role]
) -> None:
    url = f"json://127.0.0.1:{listener.port}/hook"
    channel_id = _legacy_channel(world, who, url)
    tested = world.client.post(TEST, json={"channel_id": channel_id}, headers=world.headers(*who))
    assert tested.status_code == (403 if who == OFFICER else 422)
    dead = _deliver_one(world, url=url, key=f"security:legacy:{who[1].value}")
    # Final at the first attempt: retrying cannot make the target acceptable.
    assert (dead.state, dead.attempts) == (NotificationState.DEAD, 1)
    assert "trỏ tới địa chỉ nội bộ" in dead.last_error
    assert listener.requests == []


class _HangUp(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.close_connection = True
        self.connection.close()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hangup_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HangUp)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_test_message_is_no_port_scanner(
    world: World,
    listener: Listener,
    hangup_port: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = free_port()
    # Without the setting: an open port and a closed one answer exactly the same refusal.
    refusals = [
        world.client.post(
            TEST, json={"channel_url": f"json://127.0.0.1:{port}/"}, headers=world.headers(*ADMIN)
        )
        for port in (listener.port, closed, hangup_port)
    ]
    assert {r.status_code for r in refusals} == {422}
    assert len({r.text for r in refusals}) == 1
    # An officer cannot even try an address.
    officer = world.client.post(
        TEST, json={"channel_url": f"json://127.0.0.1:{closed}/"}, headers=world.headers(*OFFICER)
    )
    assert officer.status_code == 403
    # With 127.0.0.1 trusted by the administrator: refused vs dropped connection answer the
    # same generic failure; the difference is only in the server's log.
    monkeypatch.setenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        failures = [
            world.client.post(
                TEST,
                json={"channel_url": f"json://127.0.0.1:{port}/"},
                headers=world.headers(*ADMIN),
            ).json()
            for port in (closed, hangup_port)
        ]
    assert [{k: v for k, v in f.items() if k != "channel"} for f in failures] == [
        {
            "ok": False,
            "code": "reminder.test_failed",
            "error": "Gửi tin thử không thành công; chi tiết được ghi trong nhật ký máy chủ",
        }
    ] * 2
    logged = [r.getMessage() for r in caplog.records if "test message by" in r.getMessage()]
    assert len(logged) == 2 and all("other.admin" in line for line in logged)
    assert listener.requests == []


def test_test_message_does_not_tell_whose_channel_exists(world: World, mail: SmtpServer) -> None:
    someone = ("coord", Role.VIEWER)  # same unit: visible to the officer, not theirs to use
    saved = world.client.put(
        _channels_url(world, someone),
        json={"urls": ["cv@snv.example.vn"]},
        headers=world.headers(*someone),
    )
    assert saved.status_code == 200, saved.text
    existing = saved.json()[0]["id"]
    missing = existing + 1_000_000
    answers = {
        channel_id: world.client.post(
            TEST, json={"channel_id": channel_id}, headers=world.headers(*OFFICER)
        )
        for channel_id in (existing, missing)
    }
    for channel_id, answer in answers.items():
        assert answer.status_code == 404
        assert answer.json() == {
            "detail": [
                {
                    "code": "channel.not_found",
                    "field": "channel_id",
                    "row": None,
                    "message": f"Không tìm thấy kênh liên lạc #{channel_id}",
                }
            ]
        }
    assert mail.received == []


# --- item 11 (part): secrets at rest -------------------------------------------------------


def _raw(world: World, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with world.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(statement), params).all()]


def test_secrets_are_encrypted_at_rest_and_sending_still_works(
    world: World, mail: SmtpServer, zalo_tokens: ZaloState
) -> None:
    officer = world.users[OFFICER]
    fixed_token = "ZaloTokenTrongUrl987"
    urls = ["bimat.canbo@stc.example.vn", f"zalo://{OA}/7001", f"zalo://{fixed_token}@{OA}/7002"]
    saved = world.client.put(
        _channels_url(world, OFFICER), json={"urls": urls}, headers=world.headers(*OFFICER)
    )
    assert saved.status_code == 200, saved.text
    bot = "AAHbiMatCuaBotTelegram"
    admin_add = world.client.post(
        _channels_url(world, ADMIN),
        json={"urls": [f"tgram://123456789:{bot}/-100123"]},
        headers=world.headers(*ADMIN),
    )
    assert admin_add.status_code == 201, admin_add.text
    with world.session() as session:
        session.add(
            Notification(
                key="security:at-rest",
                channel_url=urls[0],
                state=NotificationState.SENT,
                subject="s",
                body="b",
            )
        )
        session.commit()

    raw_channels = _raw(world, "SELECT url, url_digest FROM contactchannel")
    raw_tokens = _raw(world, "SELECT access_token, refresh_token FROM zalotoken")
    raw_outbox = _raw(world, "SELECT channel_url FROM notification")
    dump = repr((raw_channels, raw_tokens, raw_outbox))
    for secret in ("bimat.canbo", "stc.example.vn", fixed_token, bot, "AT-1", "RT-1"):
        assert secret not in dump
    assert all(url.startswith("gAAAAA") and len(d) == 64 for url, d in raw_channels)
    assert digest(f"mailto:{urls[0]}") in {d for _, d in raw_channels}
    # Masked output as before.
    listed = world.client.get(_channels_url(world, OFFICER), headers=world.headers(*OFFICER))
    assert fixed_token not in listed.text and "mailto:bimat.canbo@stc.example.vn" in listed.text

    # End to end: the decrypted address reaches aiosmtpd, the decrypted token the Zalo API.
    email_id, zalo_id, _ = [c["id"] for c in saved.json() if c["active"]]
    sent = world.client.post(TEST, json={"channel_id": email_id}, headers=world.headers(*OFFICER))
    assert sent.json()["ok"] is True, sent.text
    assert len(mail.to("bimat.canbo@stc.example.vn")) == 1
    sent = world.client.post(TEST, json={"channel_id": zalo_id}, headers=world.headers(*OFFICER))
    assert sent.json()["ok"] is True, sent.text
    assert [m["recipient"]["user_id"] for m in zalo_tokens.messages] == ["7001"]

    # Uniqueness still holds on the digest: the same address twice is one row, and a row
    # written past the service is refused by the database.
    again = world.client.post(
        _channels_url(world, OFFICER), json={"urls": [urls[0]]}, headers=world.headers(*OFFICER)
    )
    assert again.status_code == 201
    assert len([1 for _, url, _ in _stored(world, OFFICER) if "bimat" in url]) == 1
    with world.session() as session, pytest.raises(sa.exc.IntegrityError):
        session.add(
            ContactChannel(user_id=officer.id or 0, kind=ChannelKind.EMAIL, url=f"mailto:{urls[0]}")
        )
        session.commit()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated to 0004, the schema before this fix."""
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            [url] = cleanup.enter_context(scratch_postgres("nhiemvu_sec"))
        engine = make_engine(url)
        cleanup.callback(engine.dispose)
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        yield engine


def test_migration_encrypts_the_rows_already_there(
    database_at_0004: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    get_settings.cache_clear()
    secret_url = "tgram://123456789:AAHcuTruocBanVa/-100123"
    with database_at_0004.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO unit (id, code, name, short_name, kind, path, place_name, "
                "parent_body_name) VALUES (1, 'U', 'Đơn vị', '', 'province', '/1/', '', '')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO app_user (id, username, full_name, unit_id, role, title, active) "
                "VALUES (1, 'cu', 'Người dùng cũ', 1, 'officer', '', true)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO contactchannel (user_id, kind, url, label, active) VALUES "
                "(1, 'apprise', :a, '', true), (1, 'email', 'mailto:cu@so.example.vn', '', true)"
            ),
            {"a": secret_url},
        )
        connection.execute(
            sa.text(
                "INSERT INTO zalotoken (oa_id, app_id, access_token, refresh_token, version, "
                "updated_at) VALUES ('OA1', 'APP', 'AT-CU', 'RT-CU', 1, CURRENT_TIMESTAMP)"
            )
        )
    config = alembic_config(database_at_0004)
    with database_at_0004.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with database_at_0004.connect() as connection:
        dump = repr(
            connection.execute(
                sa.text(
                    "SELECT c.url, c.url_digest, z.access_token, z.refresh_token "
                    "FROM contactchannel c, zalotoken z"
                )
            ).all()
        )
    assert "AAHcuTruocBanVa" not in dump and "AT-CU" not in dump and "cu@so" not in dump
    with Session(database_at_0004) as session:
        channels = session.exec(select(ContactChannel).order_by(col(ContactChannel.id))).all()
        assert [(c.url, c.url_digest) for c in channels] == [
            (secret_url, digest(secret_url)),
            ("mailto:cu@so.example.vn", digest("mailto:cu@so.example.vn")),
        ]
        token = session.exec(select(ZaloToken)).one()
        assert (token.access_token, token.refresh_token) == ("AT-CU", "RT-CU")
    # And back: the rows are plain text again under the previous schema.
    previous = ScriptDirectory.from_config(config).get_revision("0008").down_revision
    with database_at_0004.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, str(previous))
    with database_at_0004.connect() as connection:
        assert connection.execute(sa.text("SELECT url FROM contactchannel ORDER BY id")).all() == [
            (secret_url,),
            ("mailto:cu@so.example.vn",),
        ]
        assert connection.execute(
            sa.text("SELECT access_token, refresh_token FROM zalotoken")
        ).one() == ("AT-CU", "RT-CU")


def test_keys_rotate_and_the_old_key_can_then_be_dropped(
    world: World, monkeypatch: pytest.MonkeyPatch, zalo_tokens: ZaloState
) -> None:
    [default] = configured_keys()  # what the rest of this module's rows are encrypted with
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use_keys(*keys: str) -> None:
        monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", ",".join(keys))
        get_settings.cache_clear()
        with world.session() as session:
            rotate_secrets(session=session)
            session.commit()

    use_keys(old, default)
    try:
        with world.session() as session:
            session.add(
                ContactChannel(
                    user_id=world.users[ADMIN].id or 0,
                    kind=ChannelKind.EMAIL,
                    url="mailto:xoay.khoa@so.example.vn",
                )
            )
            session.commit()
        before = _raw(world, "SELECT id, url FROM contactchannel ORDER BY id")
        use_keys(new, old)
        after = _raw(world, "SELECT id, url FROM contactchannel ORDER BY id")
        assert [i for i, _ in after] == [i for i, _ in before]
        assert all(a != b for (_, a), (_, b) in zip(after, before, strict=True))
        monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", new)  # the old key dropped
        get_settings.cache_clear()
        with world.session() as session:
            urls = {c.url: c.url_digest for c in session.exec(select(ContactChannel)).all()}
            assert urls["mailto:xoay.khoa@so.example.vn"] == digest(
                "mailto:xoay.khoa@so.example.vn"
            )
            assert all(d == digest(u) for u, d in urls.items())
            assert session.exec(select(ZaloToken)).one().access_token == "AT-1"
    finally:
        use_keys(default, new, old)  # the module's other tests read with the default key


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    production: dict[str, Any] = {
        "environment": Environment.PRODUCTION,
        "secret_key": "k" * 40,
        "data_dir": tmp_path,
    }
    with pytest.raises(ValidationError, match="NHIEMVU_ENCRYPTION_KEYS phải được đặt"):
        Settings(**production)
    with pytest.raises(ValidationError, match="khóa không hợp lệ"):
        Settings(**production, encryption_keys="khong-phai-khoa")
    assert Settings(**production, encryption_keys=Fernet.generate_key().decode())
    (tmp_path / "encryption.key").write_text(Fernet.generate_key().decode())
    assert Settings(**production)  # the key file is enough


def test_outside_production_the_key_file_is_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NHIEMVU_ENCRYPTION_KEYS", raising=False)
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path / "data")
    [key] = configured_keys(settings)
    key_file = tmp_path / "data" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert configured_keys(settings) == [key] and Fernet(key)


def test_rotate_command_re_encrypts_with_the_new_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app

    old = Fernet.generate_key().decode()
    monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", old)
    get_settings.cache_clear()
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["zalo-token", OA, "--access-token", "AT-XOAY", "--refresh-token", "RT-XOAY"]
        ).exit_code
        == 0
    )
    new_key = runner.invoke(app, ["secrets", "new-key"])
    assert new_key.exit_code == 0
    new = new_key.stdout.strip()
    assert Fernet(new) and new != old
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT access_token FROM zalotoken")).scalar_one()
    monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    rotated = runner.invoke(app, ["secrets", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "Đã mã hóa lại 2 giá trị bí mật" in rotated.stdout
    monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", new)
    get_settings.cache_clear()
    with Session(engine) as session:
        token = session.exec(select(ZaloToken)).one()
        assert (token.access_token, token.refresh_token) == ("AT-XOAY", "RT-XOAY")
    with engine.connect() as connection:
        after = connection.execute(sa.text("SELECT access_token FROM zalotoken")).scalar_one()
    assert after != before and "AT-XOAY" not in after


def test_user_add_takes_an_email_address_only(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app
    from models import UnitKind
    from tracking import units as units_service
    from tracking.audit import SYSTEM

    with Session(engine) as session:
        units_service.create(
            session=session,
            actor=SYSTEM,
            code="SNV",
            name="Sở Nội vụ",
            kind=UnitKind.DEPARTMENT,
            parent=None,
        )
        session.commit()
    monkeypatch.setenv("NHIEMVU_NEW_USER_PASSWORD", "mat-khau-du-dai-2025")
    runner = CliRunner()
    base = ["user", "add", "--unit", "SNV", "--name", "Trần Văn Bình"]
    added = runner.invoke(app, [*base, "binh", "--email", "binh@snv.example.vn"])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, [*base, "an", "--email", "json://127.0.0.1:8080/"])
    assert refused.exit_code == 2 and "[user.email]" in refused.stderr
    with Session(engine) as session:
        stored = [(c.url, c.kind) for c in session.exec(select(ContactChannel)).all()]
        users = set(session.exec(select(User.username)).all())
    assert stored == [("mailto:binh@snv.example.vn", ChannelKind.EMAIL)]
    assert users == {"binh"}  # the refused command added nobody
