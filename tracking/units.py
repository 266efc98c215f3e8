"""Units (the body tree) and users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Role, Unit, UnitKind, User
from tracking.audit import Actor, record, snapshot
from tracking.errors import InvalidInput, NotFound
from tracking.validation import checked_text, clean_text


def get(*, session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{unit_id}", field="unit_id")
    return unit


def get_by_code(*, session: Session, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị có mã «{code}»", field="unit")
    return unit


def find_by_code(*, session: Session, code: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.code == code)).first()


def subtree(*, session: Session, unit: Unit) -> list[Unit]:
    """The unit and every unit below it, by one indexed prefix query on the path."""
    statement = select(Unit).where(col(Unit.path).startswith(unit.path)).order_by(col(Unit.path))
    return list(session.exec(statement).all())


def is_in_subtree(*, unit: Unit, root: Unit) -> bool:
    return unit.path.startswith(root.path)


def create(
    *,
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    short_name: str = "",
    place_name: str = "",
    parent_body_name: str = "",
) -> Unit:
    code = checked_text(code, field="code", label="Mã đơn vị").strip()
    if not code or len(code) > 50:
        raise InvalidInput("unit.code_invalid", "Mã đơn vị phải có từ 1 đến 50 ký tự", field="code")
    name = clean_text(name, code="unit.name", field="name", label="Tên đơn vị", limit=255)
    short_name = clean_text(
        short_name,
        code="unit.short_name",
        field="short_name",
        label="Tên viết tắt",
        required=False,
        limit=120,
    )
    place_name = clean_text(
        place_name,
        code="unit.place_name",
        field="place_name",
        label="Địa danh",
        required=False,
        limit=120,
    )
    parent_body_name = clean_text(
        parent_body_name,
        code="unit.parent_body_name",
        field="parent_body_name",
        label="Tên cơ quan chủ quản",
        required=False,
        limit=255,
    )
    if find_by_code(session=session, code=code) is not None:
        raise InvalidInput("unit.code_taken", f"Mã đơn vị «{code}» đã tồn tại", field="code")
    unit = Unit(
        code=code,
        name=name,
        short_name=short_name,
        kind=kind,
        parent_id=parent.id if parent else None,
        place_name=place_name,
        parent_body_name=parent_body_name,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    record(
        session=session,
        actor=actor,
        action="unit.create",
        entity="unit",
        entity_id=unit.id,
        after=snapshot(unit),
    )
    return unit


def create_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    full_name: str,
    unit: Unit,
    role: Role,
    title: str = "",
    password_hash: str | None = None,
) -> User:
    username = username.strip().lower()
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("_", "").isalnum()
    ):
        raise InvalidInput(
            "user.username_invalid",
            "Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới (1–80 ký tự)",
            field="username",
        )
    if find_user(session=session, username=username) is not None:
        raise InvalidInput(
            "user.username_taken", f"Tên đăng nhập «{username}» đã tồn tại", field="username"
        )
    full_name = clean_text(
        full_name, code="user.full_name", field="full_name", label="Họ tên", limit=255
    )
    title = clean_text(
        title, code="user.title", field="title", label="Chức vụ", required=False, limit=120
    )
    user = User(
        username=username,
        full_name=full_name,
        unit_id=unit.id or 0,
        role=role,
        title=title,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after=snapshot(user, ("username", "full_name", "unit_id", "role", "title")),
    )
    return user


def update(
    *,
    session: Session,
    actor: Actor,
    unit: Unit,
    name: str | None = None,
    short_name: str | None = None,
    kind: UnitKind | None = None,
    place_name: str | None = None,
    parent_body_name: str | None = None,
) -> Unit:
    before = snapshot(unit)
    if name is not None:
        unit.name = clean_text(
            name, code="unit.name", field="name", label="Tên đơn vị", required=True, limit=255
        )
    if short_name is not None:
        unit.short_name = clean_text(
            short_name,
            code="unit.short_name",
            field="short_name",
            label="Tên viết tắt",
            required=False,
            limit=120,
        )
    if kind is not None:
        unit.kind = kind
    if place_name is not None:
        unit.place_name = clean_text(
            place_name,
            code="unit.place_name",
            field="place_name",
            label="Địa danh",
            required=False,
            limit=120,
        )
    if parent_body_name is not None:
        unit.parent_body_name = clean_text(
            parent_body_name,
            code="unit.parent_body_name",
            field="parent_body_name",
            label="Tên cơ quan chủ quản",
            required=False,
            limit=255,
        )
    session.add(unit)
    record(
        session=session,
        actor=actor,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        before=before,
        after=snapshot(unit),
    )
    return unit


_USER_FIELDS = ("full_name", "unit_id", "role", "title", "active")


def update_user(
    *,
    session: Session,
    actor: Actor,
    user: User,
    full_name: str | None = None,
    unit: Unit | None = None,
    role: Role | None = None,
    title: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> User:
    if actor.user_id == user.id and (active is False or (role is not None and role != user.role)):
        raise InvalidInput(
            "user.cannot_lock_self",
            "Không thể tự khóa tài khoản hoặc tự đổi vai trò của chính mình",
            field="active" if active is False else "role",
        )
    before = snapshot(user, _USER_FIELDS)
    if full_name is not None:
        user.full_name = clean_text(
            full_name,
            code="user.full_name",
            field="full_name",
            label="Họ tên",
            required=True,
            limit=255,
        )
    if unit is not None:
        user.unit_id = unit.id or 0
    if role is not None:
        user.role = role
    if title is not None:
        user.title = clean_text(
            title, code="user.title", field="title", label="Chức vụ", required=False, limit=120
        )
    revoke_tokens = password_hash is not None or (active is not None and active != user.active)
    if active is not None:
        user.active = active
    if password_hash is not None:
        user.password_hash = password_hash
    if revoke_tokens:
        user.token_version += 1
    session.add(user)
    after = snapshot(user, _USER_FIELDS)
    if password_hash is not None:
        after["password_changed"] = True
    record(
        session=session,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=after,
    )
    return user


def list_units(
    *, session: Session, parent_id: int | None = None, roots: bool = False
) -> list[Unit]:
    """Units in tree order (by path): the children of `parent_id`, else with `roots` the units
    at the top, else every unit (the published unit tree pickers choose from)."""
    statement = select(Unit).order_by(col(Unit.path))
    if parent_id is not None:
        statement = statement.where(Unit.parent_id == parent_id)
    elif roots:
        statement = statement.where(col(Unit.parent_id).is_(None))
    return list(session.exec(statement).all())


def find_user(*, session: Session, username: str) -> User | None:
    """The user with this username (stored lower-case), active or not."""
    return session.exec(select(User).where(User.username == username)).first()


def users_in(*, session: Session, units: Sequence[Unit]) -> list[User]:
    """The users of these units, in the order they were added."""
    unit_ids = [unit.id or 0 for unit in units]
    statement = select(User).where(col(User.unit_id).in_(unit_ids)).order_by(col(User.id))
    return list(session.exec(statement).all())
