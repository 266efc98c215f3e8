"""The Zalo OA token pair in the database, refreshed under a row lock and stored atomically."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from models import ZaloToken
from models.db import rows_changed
from models.types import utc_now
from notifications.zalo import RefreshRefused, request_refresh
from settings import get_settings
from tracking import clock
from tracking.audit import Actor, record
from tracking.errors import InvalidInput


class DbTokenStore:
    """TokenStore for the Zalo plugins, backed by the zalotoken table."""

    def __init__(
        self, engine: Engine, *, secret_key: str | None = None, timeout: float = 15.0
    ) -> None:
        self.engine = engine
        self.secret_key = secret_key if secret_key is not None else get_settings().zalo_app_secret
        self.timeout = timeout

    def access_token(self, oa_id: str) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(select(ZaloToken).where(ZaloToken.oa_id == oa_id)).first()
            return row.access_token if row else None

    def refresh(self, oa_id: str, stale_access_token: str) -> str:
        """One refresh at a time per OA, across processes; the pair changes in one commit.

        The refresh token is single use, so two workers refreshing at once would leave one
        of them (and the account) with a dead token: the first UPDATE takes the row lock
        (PostgreSQL) or the write lock (SQLite), and a worker that finds the token already
        replaced uses the new one instead of refreshing again. The OAuth host is the one
        in Settings: the app secret and refresh token go nowhere else.
        """
        with Session(self.engine) as session:
            locked = rows_changed(
                session,
                update(ZaloToken)
                .where(col(ZaloToken.oa_id) == oa_id)
                .values(version=ZaloToken.version),
            )
            if not locked:
                session.rollback()
                raise RefreshRefused(f"Chưa có token cho Official Account {oa_id}")
            row = session.exec(select(ZaloToken).where(ZaloToken.oa_id == oa_id)).one()
            if row.access_token != stale_access_token:
                session.rollback()
                return row.access_token
            try:
                pair = request_refresh(
                    oauth_base=get_settings().zalo_oauth_base,
                    app_id=row.app_id,
                    secret_key=self.secret_key,
                    refresh_token=row.refresh_token,
                    timeout=self.timeout,
                )
            except RefreshRefused:
                session.rollback()
                raise
            row.access_token = pair.access_token
            row.refresh_token = pair.refresh_token
            row.access_expires_at = pair.expires_at
            row.version += 1
            row.updated_at = utc_now()
            session.add(row)
            session.commit()
            return pair.access_token


def save_zalo_tokens(
    *,
    session: Session,
    oa_id: str,
    app_id: str,
    access_token: str,
    refresh_token: str,
    access_expires_at: datetime | None = None,
) -> ZaloToken:
    """Store the pair obtained when the Official Account was authorised. Caller commits."""
    for field, value in (
        ("oa_id", oa_id),
        ("access_token", access_token),
        ("refresh_token", refresh_token),
    ):
        if not value or not value.strip():
            raise InvalidInput("zalo.token_missing", "Thiếu giá trị bắt buộc", field=field)
    row = session.exec(select(ZaloToken).where(ZaloToken.oa_id == oa_id)).first()
    if row is None:
        row = ZaloToken(
            oa_id=oa_id,
            app_id=app_id,
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=access_expires_at,
        )
    else:
        row.app_id, row.access_token, row.refresh_token = app_id, access_token, refresh_token
        row.access_expires_at = access_expires_at
        row.version += 1
        row.updated_at = utc_now()
    session.add(row)
    session.flush()
    return row


def store_authorised_tokens(
    *,
    session: Session,
    actor: Actor,
    oa_id: str,
    access_token: str,
    refresh_token: str,
    expires_in_seconds: int,
) -> ZaloToken:
    """Keep the pair an administrator obtained when authorising the Official Account (the
    system refreshes it from then on), with an audit event naming who stored it. Caller
    commits."""
    row = save_zalo_tokens(
        session=session,
        oa_id=oa_id.strip(),
        app_id=get_settings().zalo_app_id,
        access_token=access_token.strip(),
        refresh_token=refresh_token.strip(),
        access_expires_at=clock.now_utc() + timedelta(seconds=expires_in_seconds),
    )
    record(
        session=session,
        actor=actor,
        action="zalo.save_tokens",
        entity="zalo_token",
        entity_id=row.id,
        after={"oa_id": row.oa_id, "version": row.version},
    )
    return row
