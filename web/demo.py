"""How to open the pages after `nhiemvu demo`: the address, and the demo users' password.

The seed's users have no password; each demo run gives all of them one new random password
(printed once, on the terminal that ran the demo), so nobody can sign in to a demo database
with a password published anywhere.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session

from api.auth import hash_password
from models import Unit
from settings import get_settings
from tracking import units as units_service
from tracking.audit import Actor
from tracking.demo import REPORT_DATE
from web.rendering import ROLE_LABELS

DEMO_ACTOR = Actor(name="demo")


def sign_in_lines(*, session: Session, province: Unit) -> list[str]:
    """Set a fresh password for every user of the demo province and say how to sign in.
    The caller commits."""
    password = secrets.token_urlsafe(12)
    units = units_service.subtree(session=session, unit=province)
    users = units_service.users_in(session=session, units=units)
    names = {u.id: u.name for u in units}
    base = get_settings().public_base_url.rstrip("/")
    lines = [
        f"Giao diện web: chạy «make serve» (hoặc «nhiemvu serve») rồi mở {base}/ trong "
        "trình duyệt;",
        f"  tình hình tại ngày của báo cáo mẫu: {base}/?as_of={REPORT_DATE:%d/%m/%Y}",
        f"Đăng nhập bằng một tài khoản mẫu dưới đây, mật khẩu của lần chạy này: {password}",
    ]
    for user in users:
        units_service.update_user(
            session=session,
            actor=DEMO_ACTOR,
            user=user,
            password_hash=hash_password(password=password, username=user.username),
        )
        lines.append(
            f"  {user.username:<11} {user.full_name} — {ROLE_LABELS[user.role.value]}, "
            f"{names[user.unit_id]}"
        )
    return lines
