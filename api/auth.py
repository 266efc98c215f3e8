"""Passwords (argon2 through pwdlib) and bearer tokens (JWT, HS256, with an expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt
from fastapi import Request
from pwdlib import PasswordHash
from sqlmodel import Session

from api.login_throttle import LoginThrottle
from models import User
from settings import Settings
from tracking import clock
from tracking import units as units_service
from tracking.audit import Actor
from tracking.passwords import MAX_PASSWORD, check_password
from tracking.validation import MAX_ID

ALGORITHM = "HS256"


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(*, password: str, username: str) -> str:
    """The argon2 hash of an acceptable password for this user (see tracking.passwords)."""
    check_password(password=password, username=username)
    return _hasher().hash(password)


def set_password(*, session: Session, actor: Actor, user: User, password: str) -> None:
    """Give the user a new password (its rules as hash_password's); their other sessions and
    tokens end (tracking.units.update_user bumps token_version). The caller commits."""
    units_service.update_user(
        session=session,
        actor=actor,
        user=user,
        password_hash=hash_password(password=password, username=user.username),
    )


# A hash of a random password, verified when the user is unknown so that both paths take
# the same time and do not tell which usernames exist.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher().hash("không-phải-mật-khẩu-thật")
    return _DUMMY_HASH


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    name = username.strip().lower()
    if not name or len(name) > 80 or "\x00" in name or len(password) > MAX_PASSWORD:
        return None
    user = units_service.find_user(session=session, username=name)
    if user is None or not user.password_hash or not user.active:
        _hasher().verify(password, _dummy_hash())
        return None
    try:
        valid = _hasher().verify(password, user.password_hash)
    except Exception:  # a malformed stored hash must not become a server error
        return None
    return user if valid else None


def authenticate_throttled(
    *, request: Request, session: Session, username: str, password: str
) -> User | None:
    """authenticate() through the app's login throttle (api.login_throttle), which counts the
    attempt by username and client address and may refuse it with LoginRefused."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle.guard(
        username=username,
        address=request.client.host if request.client else "",
        verify=lambda: authenticate(session=session, username=username, password=password),
    )


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    # The user's token_version when the token was issued; a bumped user refuses the token.
    token_version: int


def create_access_token(*, user: User, settings: Settings) -> tuple[str, int]:
    """A signed token for the user and its lifetime in seconds."""
    lifetime = timedelta(minutes=settings.access_token_minutes)
    now = clock.now_utc()
    payload = {
        "sub": str(user.id),
        "ver": user.token_version,
        "iat": now,
        "exp": now + lifetime,
        "role": user.role.value,
    }
    token = jwt.encode(payload, settings.token_secret, algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def claims_from_token(*, token: str, settings: Settings) -> TokenClaims | None:
    """The user and token version a valid, unexpired token names; None for anything else."""
    try:
        payload = jwt.decode(
            token,
            settings.token_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "ver", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    subject, version = payload.get("sub"), payload.get("ver")
    if not isinstance(subject, str) or not subject.isdigit():
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return None
    user_id = int(subject)
    return TokenClaims(user_id=user_id, token_version=version) if 1 <= user_id <= MAX_ID else None
