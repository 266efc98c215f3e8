"""Private calendar subscriptions: a user's secret feed URL, stored only as its digest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.types import instant_field, optional_instant_field


class CalendarFeed(SQLModel, table=True):
    """One subscription URL a user created; the token itself is never stored.

    `active_user_id` is the user's id while the feed is in use and NULL once revoked: its
    unique constraint allows one active feed per user, even when two requests create one at
    the same moment (NULLs never collide), and the revoked rows stay for the audit trail.
    """

    __tablename__ = "calendarfeed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    active_user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    # SHA-256 (hex) of the token: a lookup by it reveals nothing of the token.
    token_digest: str = Field(max_length=64, unique=True)
    created_at: datetime = instant_field()
    revoked_at: datetime | None = optional_instant_field()
