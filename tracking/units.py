"""Units (the body tree) and users."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, func, literal, text
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from models import COMMUNE_LEVEL_KINDS, Role, Unit, UnitKind, User
from models.db import in_chunks, is_postgres, table_of
from tracking import search
from tracking.audit import Actor, add_created, record, snapshot
from tracking.errors import Conflict, InvalidInput, NotFound, get_or_not_found
from tracking.validation import EMAIL_ADDRESS, checked_text, clean_text

# What people call each kind of unit (pages, the command line).
KIND_LABELS = {
    UnitKind.PROVINCE: "Tỉnh",
    UnitKind.DEPARTMENT: "Sở, ban, ngành",
    UnitKind.DISTRICT: "Huyện",
    UnitKind.COMMUNE: "Xã",
    UnitKind.WARD: "Phường",
    UnitKind.SPECIAL_ZONE: "Đặc khu",
    UnitKind.OFFICE: "Văn phòng",
    UnitKind.AGENCY: "Cơ quan, tổ chức khác của tỉnh",
    UnitKind.OTHER: "Khác",
}

# Other names a file or a command line may give a kind (compared without case, spacing or
# diacritics: _kind_key), beside the stored value ("ward") and the label ("Phường").
_KIND_ALIASES = {
    "tỉnh": UnitKind.PROVINCE,
    "ubnd tỉnh": UnitKind.PROVINCE,
    "sở": UnitKind.DEPARTMENT,
    "ban": UnitKind.DEPARTMENT,
    "sở, ngành": UnitKind.DEPARTMENT,
    "sở ban ngành": UnitKind.DEPARTMENT,
    "huyện": UnitKind.DISTRICT,
    "quận": UnitKind.DISTRICT,
    "thị xã": UnitKind.DISTRICT,
    "ubnd xã": UnitKind.COMMUNE,
    "ubnd phường": UnitKind.WARD,
    "ubnd đặc khu": UnitKind.SPECIAL_ZONE,
    "đặc khu kinh tế": UnitKind.SPECIAL_ZONE,
    "special zone": UnitKind.SPECIAL_ZONE,
    "văn phòng ubnd": UnitKind.OFFICE,
    "cơ quan": UnitKind.AGENCY,
    "tổ chức": UnitKind.AGENCY,
}


def _kind_key(text: str) -> str:
    """Lower case, single spaces, no diacritics ("Đặc  khu" → "dac khu")."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().replace("_", " ").split())


_KINDS_BY_KEY = {
    _kind_key(name): kind for kind in UnitKind for name in (kind.value, KIND_LABELS[kind])
} | {_kind_key(name): kind for name, kind in _KIND_ALIASES.items()}


def parse_kind(value: str, *, field: str = "kind") -> UnitKind:
    """The kind a person wrote: the stored value ("ward"), the Vietnamese name ("Phường",
    "Đặc khu", "phuong"), or a common alias ("Sở", "Văn phòng UBND"); InvalidInput
    `unit.kind_unknown` otherwise."""
    kind = _KINDS_BY_KEY.get(_kind_key(value))
    if kind is None:
        names = ", ".join(f"{KIND_LABELS[k]} ({k.value})" for k in UnitKind)
        raise InvalidInput(
            "unit.kind_unknown",
            f"Loại đơn vị «{value}» không hiểu được; ghi một trong: {names}",
            field=field,
        )
    return kind


def get(*, session: Session, unit_id: int) -> Unit:
    return get_or_not_found(session, Unit, unit_id, entity="unit", noun="đơn vị")


def get_by_code(*, session: Session, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị có mã «{code}»", field="unit")
    return unit


def find_by_code(*, session: Session, code: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.code == code)).first()


def subtree_path_bounds(path: str) -> tuple[str, str]:
    """The half-open range [low, high) of the paths in the subtree whose root has `path`:
    every path below "/1/5/" starts with it, so it sorts (binary) from "/1/5/" to "/1/50"
    ("0" is the character after "/")."""
    return path, path[:-1] + chr(ord(path[-1]) + 1)


def subtree_condition(
    *, root: Unit | str, unit_id: ColumnElement[int] | Mapped[int] | None = None
) -> ColumnElement[bool]:
    """The SQL form of "root and every unit below it" (root: a unit or its path).

    Without `unit_id` the condition is on the unit table itself (queried or joined); with it,
    `unit_id` (a column holding a unit id, such as a task's lead unit) must name a unit of
    the subtree. Either way the test is a range on the materialised path
    (subtree_path_bounds), which the path index serves as one index search on SQLite and
    PostgreSQL (the column compares binary there: collation "C", models.core.Unit.path).
    """
    path = root if isinstance(root, str) else root.path
    low, high = subtree_path_bounds(path)
    in_subtree = and_(col(Unit.path) >= low, col(Unit.path) < high)
    if unit_id is None:
        return in_subtree
    return unit_id.in_(select(col(Unit.id)).where(in_subtree))


def is_in_subtree(*, unit: Unit, root: Unit) -> bool:
    """The Python form of `subtree_condition`, for a unit already loaded."""
    return unit.path.startswith(root.path)


def subtree(*, session: Session, unit: Unit) -> list[Unit]:
    """The unit and every unit below it, by one index range search on the path."""
    statement = select(Unit).where(subtree_condition(root=unit)).order_by(col(Unit.path))
    return list(session.exec(statement).all())


@dataclass(frozen=True)
class _TextRule:
    label: str
    required: bool
    limit: int


# The text fields of units and users, checked alike when created and when changed.
_TEXT_RULES = {
    "unit.name": _TextRule("Tên đơn vị", required=True, limit=255),
    "unit.short_name": _TextRule("Tên viết tắt", required=False, limit=120),
    "unit.place_name": _TextRule("Địa danh", required=False, limit=120),
    "unit.parent_body_name": _TextRule("Tên cơ quan chủ quản", required=False, limit=255),
    "user.full_name": _TextRule("Họ tên", required=True, limit=255),
    "user.title": _TextRule("Chức vụ", required=False, limit=120),
}


def _text(code: str, value: str) -> str:
    """The cleaned text of the field `code` names ("unit.name": the field "name")."""
    rule = _TEXT_RULES[code]
    field = code.partition(".")[2]
    return clean_text(
        value, code=code, field=field, label=rule.label, required=rule.required, limit=rule.limit
    )


def clean_code(code: str) -> str:
    """A unit's code, stripped; InvalidInput (field `code`) unless 1 to 50 characters."""
    code = checked_text(code, field="code", label="Mã đơn vị").strip()
    if not code or len(code) > 50:
        raise InvalidInput("unit.code_invalid", "Mã đơn vị phải có từ 1 đến 50 ký tự", field="code")
    return code


def clean_name(name: str) -> str:
    """A unit's name as stored; InvalidInput (field `name`) when empty or too long."""
    return _text("unit.name", name)


def clean_email(email: str, *, field: str = "email") -> str:
    """A unit's mailbox as stored (stripped, the domain lower-case), or "" for none;
    InvalidInput `unit.email_invalid` unless a plain address of at most 254 characters."""
    email = checked_text(email, field=field, label="Thư điện tử").strip()
    if not email:
        return ""
    if len(email) > 254 or not EMAIL_ADDRESS.match(email):
        raise InvalidInput(
            "unit.email_invalid",
            f"Địa chỉ thư điện tử «{email}» không hợp lệ (ví dụ: vanphong@quangngai.gov.vn)",
            field=field,
        )
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def lock_tree(*, session: Session) -> None:
    """Serialise the writers of the unit tree until the transaction ends.

    A unit's path is its parent's path and its id, and a move rewrites the paths of a whole
    subtree: a unit added or moved at the same time under a unit being moved would keep a
    path that no longer exists. On PostgreSQL a SHARE ROW EXCLUSIVE lock on the unit table
    conflicts with itself and with every insert and update of units, never with reads (task
    lists keep answering); SQLite's write transactions already run one at a time
    (models.db.writer: BEGIN IMMEDIATE). Whatever was read before must be read again after.
    """
    if is_postgres(session.get_bind()):
        table = table_of(Unit).name
        session.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))


def clean_username(username: str) -> str:
    """A username as stored (stripped, lower-case); InvalidInput (field `username`) unless
    letters, digits, dots and underscores, 1 to 80 characters."""
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
    return username


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
    email: str = "",
) -> Unit:
    """A new unit under `parent` (a root without one), recorded in the audit log. The code
    is unique: checked here for a clear message, and by the unique index in the end (two
    clerks at once: one gets IntegrityError, which the caller turns into a Conflict)."""
    code = clean_code(code)
    name = _text("unit.name", name)
    short_name = _text("unit.short_name", short_name)
    place_name = _text("unit.place_name", place_name)
    parent_body_name = _text("unit.parent_body_name", parent_body_name)
    email = clean_email(email)
    lock_tree(session=session)
    # The parent's path as of the lock (a move may have just changed it).
    parent_path = (
        session.exec(select(Unit.path).where(Unit.id == parent.id)).one() if parent else "/"
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
        email=email,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent_path}{unit.id}/"
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
    username = clean_username(username)
    if find_user(session=session, username=username) is not None:
        raise InvalidInput(
            "user.username_taken", f"Tên đăng nhập «{username}» đã tồn tại", field="username"
        )
    full_name = _text("user.full_name", full_name)
    title = _text("user.title", title)
    user = User(
        username=username,
        full_name=full_name,
        unit_id=unit.id or 0,
        role=role,
        title=title,
        password_hash=password_hash,
    )
    fields = ("username", "full_name", "unit_id", "role", "title")
    return add_created(session=session, actor=actor, row=user, entity="user", fields=fields)


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
    email: str | None = None,
) -> Unit:
    before = snapshot(unit)
    if name is not None:
        unit.name = _text("unit.name", name)
    if short_name is not None:
        unit.short_name = _text("unit.short_name", short_name)
    if kind is not None:
        unit.kind = kind
    if place_name is not None:
        unit.place_name = _text("unit.place_name", place_name)
    if parent_body_name is not None:
        unit.parent_body_name = _text("unit.parent_body_name", parent_body_name)
    if email is not None:
        unit.email = clean_email(email)
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


MAX_PATH = 1000  # models.core.Unit.path


def _reloaded(*, session: Session, unit: Unit) -> Unit:
    reloaded = session.get(Unit, unit.id, populate_existing=True)
    if reloaded is None:
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{unit.id}", field="unit_id")
    return reloaded


def move(*, session: Session, actor: Actor, unit: Unit, parent: Unit) -> Unit:
    """Put `unit` (and its subtree) under `parent`, in the caller's transaction.

    Every path of the subtree is rewritten by one UPDATE on the path range (the subtree's own
    index search); ids do not change, so the unit's tasks, users, plans and reports stay
    with it. Refused (InvalidInput, field `parent_id`) when `parent` is the unit or lies in
    its subtree. Two moves at once run one after the other (lock_tree) and the second checks
    against the tree the first left, so together they never make a cycle.
    """
    lock_tree(session=session)
    # Both as of the lock, in this session (another move may have just changed them).
    unit = _reloaded(session=session, unit=unit)
    parent = _reloaded(session=session, unit=parent)
    if is_in_subtree(unit=parent, root=unit):
        raise InvalidInput(
            "unit.move_into_own_subtree",
            f"Không thể chuyển đơn vị «{unit.code}» vào chính nó hoặc một đơn vị trực thuộc nó "
            f"(«{parent.code}»)",
            field="parent_id",
        )
    if unit.parent_id == parent.id:
        return unit
    old_path = unit.path
    new_path = f"{parent.path}{unit.id}/"
    low, high = subtree_path_bounds(old_path)
    in_subtree = and_(col(Unit.path) >= low, col(Unit.path) < high)
    longest = session.exec(select(func.max(func.length(col(Unit.path)))).where(in_subtree)).one()
    if (longest or 0) - len(old_path) + len(new_path) > MAX_PATH:
        raise InvalidInput(
            "unit.tree_too_deep",
            "Cây đơn vị sau khi chuyển quá sâu (đường dẫn quá 1000 ký tự)",
            field="parent_id",
        )
    size = session.exec(select(func.count()).select_from(Unit).where(in_subtree)).one()
    before = {"parent_id": unit.parent_id, "path": old_path}
    session.execute(
        sa.update(Unit)
        .where(in_subtree)
        .values(path=literal(new_path) + func.substr(col(Unit.path), len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(Unit)
        .where(col(Unit.id) == unit.id)
        .values(parent_id=parent.id)
        .execution_options(synchronize_session=False)
    )
    # The subtree's loaded rows hold their old paths: read them again when next used.
    session.expire_all()
    record(
        session=session,
        actor=actor,
        action="unit.move",
        entity="unit",
        entity_id=unit.id,
        before=before,
        after={"parent_id": parent.id, "path": new_path, "subtree_units": size},
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
        user.full_name = _text("user.full_name", full_name)
    if unit is not None:
        user.unit_id = unit.id or 0
    if role is not None:
        user.role = role
    if title is not None:
        user.title = _text("user.title", title)
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
    *, session: Session, parent_id: int | None = None, roots: bool = False, text: str | None = None
) -> list[Unit]:
    """Units in tree order (by path): the children of `parent_id`, else with `roots` the units
    at the top, else every unit (the published unit tree pickers choose from); with `text`,
    only those whose name or short name contains it, diacritics and case aside
    (tracking.search; InvalidInput `search.too_short` under 3 characters)."""
    statement = select(Unit).order_by(col(Unit.path))
    if parent_id is not None:
        statement = statement.where(Unit.parent_id == parent_id)
    elif roots:
        statement = statement.where(col(Unit.parent_id).is_(None))
    folded = search.folded_query(text)
    if folded is not None:
        statement = statement.where(col(Unit.id).in_(search.matching_units(folded)))
    return list(session.exec(statement).all())


def find_user(*, session: Session, username: str) -> User | None:
    """The user with this username (stored lower-case), active or not."""
    return session.exec(select(User).where(User.username == username)).first()


def users_in(*, session: Session, units: Sequence[Unit]) -> list[User]:
    """The users of these units, in the order they were added."""
    unit_ids = [unit.id or 0 for unit in units]
    statement = select(User).where(col(User.unit_id).in_(unit_ids)).order_by(col(User.id))
    return list(session.exec(statement).all())


# The People's Committees (Ủy ban nhân dân) of the province, the districts and the
# commune-level units (xã, phường, đặc khu: models.COMMUNE_LEVEL_KINDS).
BODY_KINDS = frozenset({UnitKind.PROVINCE, UnitKind.DISTRICT}) | COMMUNE_LEVEL_KINDS


def is_office_of(*, unit: Unit, body: Unit | None) -> bool:
    """Whether `unit` is the office (Văn phòng UBND) of the People's Committee `body`: a unit of
    kind office directly under a province, a district or a commune-level unit (xã, phường,
    đặc khu). The office follows everything its body does: it reads with the body's reach and
    enters the tasks the body assigns
    (tracking.access), receives the reminders about the body's long-overdue tasks
    (notifications.planner) and prepares the body's periodic reports (notifications.report_ready).
    """
    return (
        body is not None
        and unit.kind == UnitKind.OFFICE
        and unit.parent_id == body.id
        and body.kind in BODY_KINDS
    )


def offices_of(*, session: Session, unit_ids: Collection[int]) -> dict[int, list[int]]:
    """The ids of the offices (is_office_of) of each of `unit_ids`, in id order; a unit that is
    no People's Committee or has no office is absent. Two queries per IN_CHUNK_SIZE units (the
    planner asks for every issuer of its window), whatever the number of units.
    """
    candidates: list[Unit] = []
    for chunk in in_chunks(values=unit_ids):
        candidates.extend(
            session.exec(
                select(Unit).where(col(Unit.parent_id).in_(chunk), Unit.kind == UnitKind.OFFICE)
            ).all()
        )
    # Chunks break one ORDER BY: the offices are listed in id order here.
    candidates.sort(key=lambda office: office.id or 0)
    bodies: dict[int | None, Unit] = {}
    parent_ids = (office.parent_id for office in candidates if office.parent_id is not None)
    for chunk in in_chunks(values=parent_ids):
        bodies.update(
            (body.id, body) for body in session.exec(select(Unit).where(col(Unit.id).in_(chunk)))
        )
    offices: dict[int, list[int]] = defaultdict(list)
    for office in candidates:
        if office.parent_id is not None and is_office_of(
            unit=office, body=bodies.get(office.parent_id)
        ):
            offices[office.parent_id].append(office.id or 0)
    return dict(offices)


# The kinds a deployment's root unit may have: a People's Committee (province, district or
# commune level), the body whose tasks the tree below it carries out.
ROOT_KINDS = BODY_KINDS


def root_kind(value: str) -> UnitKind:
    """The kind named `value` when a root unit may have it; InvalidInput (field `unit_kind`)
    otherwise."""
    allowed = ", ".join(sorted(ROOT_KINDS))
    try:
        kind = UnitKind(value.strip().lower())
    except ValueError:
        kind = None
    if kind not in ROOT_KINDS:
        raise InvalidInput(
            "init.kind_not_root",
            f"Loại đơn vị «{value}» không dùng được cho đơn vị gốc (chọn một trong: {allowed})",
            field="unit_kind",
        )
    return kind


def refuse_if_initialised(*, session: Session) -> None:
    """Conflict `init.already_initialised`, naming a root unit, when the database has units."""
    if session.exec(select(func.count()).select_from(Unit)).one() == 0:
        return
    root = session.exec(
        select(Unit).where(col(Unit.parent_id).is_(None)).order_by(col(Unit.id))
    ).first()
    which = f"đơn vị gốc «{root.code}» ({root.name})" if root else "đơn vị"
    raise Conflict(
        "init.already_initialised",
        f"Cơ sở dữ liệu đã có {which}, không khởi tạo lại; thêm người dùng bằng «nhiemvu user add»",
    )


def check_initialise(
    *,
    session: Session,
    unit_code: str,
    unit_name: str,
    unit_kind: str,
    admin_username: str,
    admin_full_name: str,
) -> None:
    """Everything `initialise` checks before it writes, without writing: for the command line
    to refuse before it asks for a password. `initialise` checks it all again."""
    clean_code(unit_code)
    _text("unit.name", unit_name)
    root_kind(unit_kind)
    clean_username(admin_username)
    _text("user.full_name", admin_full_name)
    refuse_if_initialised(session=session)


def initialise(
    *,
    session: Session,
    actor: Actor,
    unit_code: str,
    unit_name: str,
    unit_kind: str,
    admin_username: str,
    admin_full_name: str,
    password_hash: str,
) -> tuple[Unit, User]:
    """The first unit (the root) of an empty database and its first administrator, both
    recorded in the audit log; the caller commits them together.

    Refuses (Conflict `init.already_initialised`) when the database has any unit. Two callers
    at once create one root: the check and the inserts share the write transaction, which
    holds SQLite's write lock from BEGIN (models.db.writer) or, on PostgreSQL, a lock on the
    unit table that conflicts with itself and with every insert, taken before the check.
    """
    if is_postgres(session.get_bind()):
        table = table_of(Unit).name
        session.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
    check_initialise(
        session=session,
        unit_code=unit_code,
        unit_name=unit_name,
        unit_kind=unit_kind,
        admin_username=admin_username,
        admin_full_name=admin_full_name,
    )
    unit = create(
        session=session, actor=actor, code=unit_code, name=unit_name, kind=root_kind(unit_kind)
    )
    admin = create_user(
        session=session,
        actor=actor,
        username=admin_username,
        full_name=admin_full_name,
        unit=unit,
        role=Role.ADMIN,
        password_hash=password_hash,
    )
    return unit, admin
