"""Units, users, contact channels, auth tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.deps import Id, Required255, Text120, Text255, text
from api.schemas.base import Body, FromRow
from models import ChannelKind, Role, UnitKind

Code = Annotated[str, text(50, min_length=1)]
Username = Annotated[str, text(80, min_length=1)]
Password = Annotated[str, text(256, min_length=8)]
Email = Annotated[
    str, text(254), Field(description="Hộp thư công vụ của đơn vị (để trống: không có)")
]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Số giây còn hiệu lực")


UNIT_KIND_DESCRIPTION = (
    "Loại đơn vị: province (tỉnh), department (sở, ban, ngành), district (huyện), commune (xã), "
    "ward (phường), special_zone (đặc khu), office (văn phòng), agency (cơ quan, tổ chức khác "
    "của tỉnh), other (khác). Xã, phường và đặc khu là cấp xã, trực thuộc tỉnh từ 01/7/2025."
)


class UnitCreate(Body):
    code: Code
    name: Required255
    kind: UnitKind = Field(default=UnitKind.OTHER, description=UNIT_KIND_DESCRIPTION)
    parent_id: Id | None = None
    short_name: Text120 = ""
    place_name: Text120 = ""
    parent_body_name: Text255 = ""
    email: Email = ""


class UnitUpdate(Body):
    name: Required255 | None = None
    kind: UnitKind | None = Field(default=None, description=UNIT_KIND_DESCRIPTION)
    short_name: Text120 | None = None
    place_name: Text120 | None = None
    parent_body_name: Text255 | None = None
    email: Email | None = None
    parent_id: Id | None = Field(
        default=None,
        description="Chuyển đơn vị (cùng mọi đơn vị trực thuộc, giữ nguyên nhiệm vụ) vào đơn vị "
        "cấp trên này; không được là chính nó hay một đơn vị trực thuộc nó",
    )


class UnitPublic(FromRow):
    id: int
    code: str
    name: str
    short_name: str
    kind: UnitKind
    parent_id: int | None
    path: str
    place_name: str
    parent_body_name: str
    email: str


class UserCreate(Body):
    username: Username
    full_name: Required255
    unit_id: Id
    role: Role = Role.OFFICER
    title: Text120 = ""
    password: Password


class UserUpdate(Body):
    full_name: Required255 | None = None
    unit_id: Id | None = None
    role: Role | None = None
    title: Text120 | None = None
    active: bool | None = None
    password: Password | None = None


class UserPublic(FromRow):
    id: int
    username: str
    full_name: str
    unit_id: int
    role: Role
    title: str
    active: bool


class ChannelsSet(Body):
    urls: list[Annotated[str, text(2000)]] = Field(
        max_length=20,
        description=(
            "Địa chỉ email (an@so.gov.vn) hoặc URL Apprise (zalo://, zns://, mailtos://, "
            "tgram://…); URL sai được báo ở trường `urls[i]`"
        ),
    )


class ChannelPublic(BaseModel):
    """A contact channel; the secrets in its URL (tokens, passwords) are masked."""

    id: int
    user_id: int
    kind: ChannelKind
    url: str = Field(description="URL đã che các thông tin bí mật")
    label: str
    active: bool


class CalendarFeedCreated(BaseModel):
    """The private subscription URL of a calendar feed: shown this once, never again."""

    url: str = Field(
        description="Địa chỉ đăng ký lịch (iCalendar); ai có địa chỉ này đều xem được lịch, "
        "hãy giữ kín. Tạo địa chỉ mới thì địa chỉ cũ ngừng hoạt động."
    )
