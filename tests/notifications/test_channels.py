from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import ChannelKind, ContactChannel
from notifications import channels
from notifications.contacts import list_contact_channels, set_contact_channels
from settings import get_settings
from tests.notifications.conftest import World
from tracking.audit import SYSTEM
from tracking.errors import InvalidInput


@pytest.mark.parametrize(
    ("url", "secret", "kind"),
    [
        ("tgram://123456789:AAHsecretBotToken/-100123", "AAHsecretBotToken", ChannelKind.APPRISE),
        # An IP literal: no name resolution here, and a public target (a private one is refused).
        ("mailtos://user:MatKhau123@203.162.4.191?to=a@b.vn", "MatKhau123", ChannelKind.EMAIL),
        ("zalo://ZaloToken999@4318270000000000001/7001", "ZaloToken999", ChannelKind.ZALO),
        (
            "zns://4318270000000000001/0912345678?template=T1&token=ZnsToken1",
            "ZnsToken1",
            ChannelKind.ZNS,
        ),
        ("slack://TokenA/TokenB/TokenC/#general", "TokenB", ChannelKind.APPRISE),
    ],
)
def test_any_apprise_url_is_a_channel_and_its_secrets_are_masked(
    url: str, secret: str, kind: ChannelKind
) -> None:
    assert channels.validate(url, actor=SYSTEM) == url
    assert secret not in channels.mask(url)
    assert channels.kind_of(url) == kind


def test_plain_address_goes_through_the_configured_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHIEMVU_SMTP_HOST", "mail.tinh.gov.vn")
    monkeypatch.setenv("NHIEMVU_SMTP_PORT", "587")
    monkeypatch.setenv("NHIEMVU_SMTP_USER", "nhacviec")
    monkeypatch.setenv("NHIEMVU_SMTP_PASSWORD", "bí mật")
    monkeypatch.setenv("NHIEMVU_SMTP_TLS", "true")
    get_settings.cache_clear()
    assert channels.validate(" an@skhcn.gov.vn ", actor=SYSTEM) == "mailto:an@skhcn.gov.vn"
    url = channels.sending_url("mailto:an@skhcn.gov.vn")
    plugin = channels.instantiate(url)
    assert plugin is not None
    assert (plugin.smtp_host, plugin.port, plugin.secure_mode) == (
        "mail.tinh.gov.vn",
        587,
        "starttls",
    )
    assert plugin.password == "bí mật" and plugin.targets[0][1] == "an@skhcn.gov.vn"
    assert channels.mask("mailto:an@skhcn.gov.vn") == "mailto:an@skhcn.gov.vn"
    get_settings.cache_clear()


def test_set_contact_channels_validates_all_first(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        user_id = world.officer_a.id or 0
        with pytest.raises(InvalidInput) as error:
            set_contact_channels(
                session=session, user_id=user_id, urls=["an@skhcn.gov.vn", "khong://hop-le"]
            )
        assert error.value.field == "urls[1]"
        session.rollback()
        before = session.exec(select(ContactChannel).where(ContactChannel.user_id == user_id)).all()
        assert [c.url for c in before] == ["mailto:an@skhcn.example.vn"]
        views = set_contact_channels(
            session=session,
            user_id=user_id,
            urls=["an@skhcn.gov.vn", "zalo://Tok@4318270000000000001/7001"],
        )
        session.commit()
        active = [v for v in views if v.active]
        assert [v.kind for v in active] == [ChannelKind.EMAIL, ChannelKind.ZALO]
        assert all(
            "Tok@" not in v.url for v in list_contact_channels(session=session, user_id=user_id)
        )
        # The old address is kept (the outbox refers to it) but no longer used.
        assert [v.active for v in views if v.url == "mailto:an@skhcn.example.vn"] == [False]
