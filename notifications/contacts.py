"""A user's contact channels: every one an Apprise URL (or a plain email address)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import ChannelKind, ContactChannel, User
from models.db import in_chunks
from notifications import channels
from tracking import units as units_service
from tracking.access import Principal, authorize_user
from tracking.audit import SYSTEM, Actor, record
from tracking.errors import Forbidden, InvalidInput, NotFound, get_or_not_found


@dataclass(frozen=True)
class ChannelView:
    id: int
    kind: ChannelKind
    url: str  # masked
    label: str
    active: bool


def list_contact_channels(*, session: Session, user_id: int) -> list[ChannelView]:
    rows = session.exec(
        select(ContactChannel)
        .where(ContactChannel.user_id == user_id)
        .order_by(col(ContactChannel.id))
    ).all()
    return [ChannelView(r.id or 0, r.kind, channels.mask(r.url), r.label, r.active) for r in rows]


def set_contact_channels(
    *, session: Session, user_id: int, urls: list[str], actor: Actor = SYSTEM
) -> list[ChannelView]:
    """Make `urls` the user's active channels; others are deactivated, never deleted
    (the outbox and planned reminders refer to them). All URLs are checked first against
    what `actor` may add (channels.validate), so a bad one changes nothing; an active channel
    kept as it is is not checked again (it is before every send). The caller commits."""
    if session.get(User, user_id) is None:
        raise NotFound("user.not_found", "Không tìm thấy người dùng", field="user_id")
    if len(urls) > 20:
        raise InvalidInput("channel.too_many", "Tối đa 20 kênh liên lạc", field="urls")
    existing = {
        r.url: r
        for r in session.exec(select(ContactChannel).where(ContactChannel.user_id == user_id)).all()
    }
    wanted: list[str] = []
    for index, url in enumerate(urls):
        kept = url in existing and existing[url].active
        value = url if kept else channels.validate(url, actor=actor, field=f"urls[{index}]")
        if value not in wanted:
            wanted.append(value)
    before = sorted(channels.mask(u) for u, r in existing.items() if r.active)
    for url, row in existing.items():
        row.active = url in wanted
        session.add(row)
    for url in wanted:
        if url not in existing:
            session.add(ContactChannel(user_id=user_id, kind=channels.kind_of(url), url=url))
    session.flush()
    record(
        session=session,
        actor=actor,
        action="user.set_channels",
        entity="user",
        entity_id=user_id,
        before={"channels": before},
        after={"channels": sorted(channels.mask(u) for u in wanted)},
    )
    return list_contact_channels(session=session, user_id=user_id)


def active_channels_of(
    *, session: Session, user_ids: Collection[int | None]
) -> dict[int, list[ContactChannel]]:
    """The active channels of each of these people, in the order they were added; someone
    without one is absent. One query per IN_CHUNK_SIZE people (a province's day of reminders
    names more people than a statement may carry parameters)."""
    by_user: dict[int, list[ContactChannel]] = defaultdict(list)
    for chunk in in_chunks(values=(u for u in user_ids if u is not None)):
        statement = (
            select(ContactChannel)
            .where(col(ContactChannel.user_id).in_(chunk), col(ContactChannel.active).is_(True))
            .order_by(col(ContactChannel.id))
        )
        for channel in session.exec(statement).all():
            by_user[channel.user_id].append(channel)
    # A person's channels all come from one chunk, already in id (added) order.
    return by_user


def _active_urls(session: Session, user_id: int) -> list[str]:
    return list(
        session.exec(
            select(ContactChannel.url)
            .where(ContactChannel.user_id == user_id, col(ContactChannel.active))
            .order_by(col(ContactChannel.id))
        ).all()
    )


def add_contact_channels(
    *, session: Session, user_id: int, urls: list[str], actor: Actor = SYSTEM
) -> list[ChannelView]:
    """Add `urls` to the user's active channels, keeping the others. A bad URL names its
    field `urls[i]` (its index in `urls`) and changes nothing. The caller commits."""
    if session.get(User, user_id) is None:
        raise NotFound("user.not_found", "Không tìm thấy người dùng", field="user_id")
    added = [
        channels.validate(url, actor=actor, field=f"urls[{index}]")
        for index, url in enumerate(urls)
    ]
    return set_contact_channels(
        session=session,
        user_id=user_id,
        actor=actor,
        urls=[*added, *_active_urls(session, user_id)],
    )


def add_email_channel(
    *, session: Session, user_id: int, email: str, actor: Actor = SYSTEM
) -> list[ChannelView]:
    """Add a plain email address as one of the user's channels; anything else is refused
    (field "email"). The caller commits."""
    if channels.email_address(email) is None:
        raise InvalidInput("user.email", "Địa chỉ email không hợp lệ", field="email")
    return add_contact_channels(session=session, user_id=user_id, urls=[email], actor=actor)


def deactivate_contact_channel(
    *, session: Session, user_id: int, channel_id: int, actor: Actor = SYSTEM
) -> list[ChannelView]:
    """Stop using one channel (kept for the outbox's history). The caller commits."""
    row = session.get(ContactChannel, channel_id)
    if row is None or row.user_id != user_id:
        raise NotFound(
            "channel.not_found", f"Không tìm thấy kênh liên lạc #{channel_id}", field="channel_id"
        )
    remaining = [url for url in _active_urls(session, user_id) if url != row.url]
    return set_contact_channels(session=session, user_id=user_id, urls=remaining, actor=actor)


def channel_url_of(*, session: Session, channel_id: int) -> tuple[int, str]:
    """(owner's user id, stored URL) of a channel, for a test message."""
    row = get_or_not_found(
        session, ContactChannel, channel_id, entity="channel", noun="kênh liên lạc"
    )
    return row.user_id, row.url


def managed_channel_url(*, session: Session, principal: Principal, channel_id: int) -> str:
    """The URL of a channel `principal` may manage (for a test message). Another user's
    channel answers the same NotFound as a missing one, so nobody learns which ids exist."""
    missing = NotFound(
        "channel.not_found", f"Không tìm thấy kênh liên lạc #{channel_id}", field="channel_id"
    )
    try:
        owner_id, url = channel_url_of(session=session, channel_id=channel_id)
        owner = session.get(User, owner_id)
        if owner is None:
            raise missing
        unit = units_service.get(session=session, unit_id=owner.unit_id)
        authorize_user(principal=principal, user=owner, unit=unit, manage=True)
    except (NotFound, Forbidden):
        raise missing from None
    return url
