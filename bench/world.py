"""Benchmark worlds, written in bulk: realistic, deterministic for a seed.

    python -m bench.world --world province --database-url sqlite:///data/bench-province.db
    python -m bench.world --world country --database-url postgresql+psycopg://…/world_country

builds a world into an empty (migrated or not) database and prints its WorldInfo as JSON.

Shape. A province is its People's Committee (Ủy ban nhân dân tỉnh, kind province) with its
office (Văn phòng UBND tỉnh, kind office: it follows the committee's long-overdue tasks), 30
departments (Sở Tài chính, Sở Y tế, …, kind department) and 100 commune-level units (UBND xã …,
UBND phường …); 3,000 officers spread over them (a few leaders per unit, the rest officers),
each with an email and a Zalo channel (mailto:…, zalo://{oa_id}/{user_id}); plans (kế hoạch,
with their documents and sections) and notices (thông báo kết luận) of the committee; 100,000
tasks assigned by the committee over the five years before AS_OF. The country is 34 provinces
of that shape under one root (Chính phủ), 1,000,000 tasks. One administrator sits at the root.

Shares (seed 20211102; the country as of AS_OF, a date two years earlier alike): 77 % done
on time and 15 % late, 2.3 % overdue (2.5 % two years earlier), 2.6 % in progress, 1.6 %
without deadline and still open, 1 % paused, 1 % cancelled; 10 % extended (approved, decided
before the deadline of the moment; 15 % of those twice), 2 % with a rejected request, a few
pending; a third with one to three coordinating units of the same province; 80 % in a plan
of their province (in one of its sections), the rest citing a notice; about 5 % are the
periods of recurring duties (monthly, quarterly and yearly reports of departments and
communes, with tracking.obligations' own periods, keys, titles and deadlines); two yearly
reports of a commune are issued (numbered) through the product's report service. The
head of each unit puts one of its officers in charge of 85 % of its parts (lead or
coordinating: cán bộ theo dõi, TaskAssignment.officer_id; a leader where a unit has no
officer), and only that officer is reminded of such a part; the rest go to all the unit's
officers (a department has about 40). `--stress` keeps the old pessimistic mix: 40 % never
done, so most of the history is overdue, and no officer in charge, so every officer of a lead
unit receives its reminders.

The world is cut at AS_OF: nothing after it is recorded (a completion, decision or
cancellation the simulation dates later is not there yet; a request decided later is
pending), so the state columns are what the product would hold on AS_OF.

Speed: rows are generated in batches and written through the driver (SQLite executemany,
PostgreSQL COPY), ids given by the generator (so both databases hold the same rows); memory
stays bounded by the batch. The bulk history has no audit events: the trail is a hash chain
over every event in order, which a bulk writer would have to compute one event at a time and
store (gigabytes at a million tasks) while no measurement reads it; the chain is simply
shorter, starts with the events the product writes on the world (issued reports, new tasks)
and verifies.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, text
from sqlmodel import Session

from models import (
    AssignmentRole,
    ChannelKind,
    DeadlineKind,
    ExtensionStatus,
    Obligation,
    Role,
    TaskState,
    UnitKind,
)
from models.db import is_postgres, make_engine, table_of
from models.encryption import sealer
from models.migrate import upgrade
from models.search import document_search_text, task_search_text, unit_search_name
from reports import service as report_service
from tracking.audit import Actor
from tracking.calendar import WorkCalendar, load_calendar, load_official_overrides
from tracking.formatting import symbol
from tracking.obligations import occurrence_title
from tracking.periods import Period, PeriodRule, get_report_type, periods_of_year

WorldName = Literal["province", "country"]
DEPARTMENTS = 30
COMMUNES = 100
OFFICERS = 3_000
PROVINCES_IN_COUNTRY = 34
TASKS = {"province": 100_000, "country": 1_000_000}
# The day the benchmarks ask about: the world's tasks were assigned over the five years before.
AS_OF = date(2026, 6, 30)
HISTORY_DAYS = 5 * 365
HISTORY_START = AS_OF - timedelta(days=HISTORY_DAYS)
# Tasks generated and written per transaction: memory stays bounded by it.
TASKS_PER_BATCH = 50_000
SEED = 20211102

# --- names ------------------------------------------------------------------------------

# The 34 provinces and cities since 01/7/2025 (Nghị quyết 202/2025/QH15).
PROVINCES = [
    ("Lào Cai", "tỉnh"),
    ("Hà Nội", "thành phố"),
    ("Huế", "thành phố"),
    ("Lai Châu", "tỉnh"),
    ("Điện Biên", "tỉnh"),
    ("Sơn La", "tỉnh"),
    ("Lạng Sơn", "tỉnh"),
    ("Quảng Ninh", "tỉnh"),
    ("Thanh Hóa", "tỉnh"),
    ("Nghệ An", "tỉnh"),
    ("Hà Tĩnh", "tỉnh"),
    ("Cao Bằng", "tỉnh"),
    ("Tuyên Quang", "tỉnh"),
    ("Thái Nguyên", "tỉnh"),
    ("Phú Thọ", "tỉnh"),
    ("Bắc Ninh", "tỉnh"),
    ("Hưng Yên", "tỉnh"),
    ("Hải Phòng", "thành phố"),
    ("Ninh Bình", "tỉnh"),
    ("Quảng Trị", "tỉnh"),
    ("Đà Nẵng", "thành phố"),
    ("Quảng Ngãi", "tỉnh"),
    ("Gia Lai", "tỉnh"),
    ("Khánh Hòa", "tỉnh"),
    ("Lâm Đồng", "tỉnh"),
    ("Đắk Lắk", "tỉnh"),
    ("Hồ Chí Minh", "thành phố"),
    ("Đồng Nai", "tỉnh"),
    ("Tây Ninh", "tỉnh"),
    ("Cần Thơ", "thành phố"),
    ("Vĩnh Long", "tỉnh"),
    ("Đồng Tháp", "tỉnh"),
    ("Cà Mau", "tỉnh"),
    ("An Giang", "tỉnh"),
]

# Departments, boards and agencies of a province (kind department), most active first.
DEPARTMENT_NAMES = [
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Công Thương",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Tư pháp",
    "Sở Dân tộc và Tôn giáo",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Công an tỉnh",
    "Bộ Chỉ huy Quân sự tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp",
    "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông",
    "Ban Quản lý dự án đầu tư xây dựng các công trình nông nghiệp",
    "Thuế tỉnh",
    "Kho bạc Nhà nước khu vực",
    "Bảo hiểm xã hội tỉnh",
    "Thống kê tỉnh",
    "Báo và Phát thanh, Truyền hình tỉnh",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Trung tâm Xúc tiến đầu tư, Thương mại và Du lịch",
    "Quỹ Đầu tư phát triển tỉnh",
    "Trường Cao đẳng tỉnh",
    "Liên minh Hợp tác xã tỉnh",
    "Bệnh viện Đa khoa tỉnh",
]

# Commune names are two of these (Tân Phú, Hòa Bình, …): enough for 100 distinct ones.
NAME_PARTS = [
    "An",
    "Bình",
    "Hòa",
    "Phú",
    "Tân",
    "Thạnh",
    "Long",
    "Phước",
    "Thuận",
    "Hưng",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Quang",
    "Minh",
    "Thành",
    "Mỹ",
    "Vĩnh",
    "Xuân",
    "Hải",
    "Sơn",
    "Lộc",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
SURNAMES += ["Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Đức", "Ngọc", "Thu", "Xuân"]
GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương"]
GIVEN_NAMES += ["Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn"]
GIVEN_NAMES += ["Tâm", "Thảo", "Thành", "Trang", "Tuấn", "Việt", "Yến", "Khoa", "Duy", "Ninh"]

TASK_VERBS = ["Tham mưu", "Triển khai", "Rà soát", "Xây dựng", "Đôn đốc", "Kiểm tra"]
TASK_VERBS += ["Hoàn thiện", "Tổ chức", "Đánh giá", "Đề xuất"]
TASK_OBJECTS = [
    "kế hoạch chuyển đổi số",
    "thủ tục hành chính trên môi trường điện tử",
    "công tác giải phóng mặt bằng",
    "đề án phát triển du lịch",
    "chương trình mục tiêu quốc gia xây dựng nông thôn mới",
    "tiến độ giải ngân vốn đầu tư công",
    "công tác phòng, chống thiên tai",
    "phương án sắp xếp trụ sở làm việc",
    "hồ sơ cấp giấy chứng nhận quyền sử dụng đất",
    "kế hoạch tuyển sinh",
    "công tác tiếp công dân, giải quyết khiếu nại, tố cáo",
    "kế hoạch cải cách hành chính",
    "dự thảo nghị quyết của Hội đồng nhân dân",
    "công tác phòng, chống dịch bệnh",
    "phương án xử lý ô nhiễm môi trường",
    "chương trình giảm nghèo bền vững",
    "kế hoạch thu ngân sách nhà nước",
    "dự án đầu tư xây dựng đường giao thông",
    "báo cáo kinh tế - xã hội",
    "cơ sở dữ liệu dùng chung",
]
TASK_SCOPES = ["trên địa bàn", "năm {year}", "theo chỉ đạo của UBND tỉnh", "giai đoạn 2026-2030"]
PLAN_SUBJECTS = [
    "chuyển đổi số",
    "cải cách hành chính",
    "phát triển kinh tế - xã hội",
    "xây dựng nông thôn mới",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "thực hiện dự toán ngân sách nhà nước",
    "đầu tư công",
    "phát triển du lịch",
    "giảm nghèo bền vững",
    "bảo vệ môi trường",
    "phổ biến, giáo dục pháp luật",
    "thi đua, khen thưởng",
]
SECTION_TITLES = [
    "Hoàn thiện thể chế, chính sách",
    "Phát triển hạ tầng",
    "Nâng cao chất lượng nguồn nhân lực",
    "Ứng dụng công nghệ thông tin",
    "Tăng cường kiểm tra, giám sát",
    "Tổ chức thực hiện",
]
RESULT = "Đã hoàn thành, có văn bản báo cáo kết quả gửi cơ quan giao"

# --- what a task's life looks like (shares of the tasks with a deadline) ---------------

NO_DEADLINE_SHARE = 0.03
CANCELLED_SHARE = 0.01
PAUSED_SHARE = 0.01
NEVER_DONE_SHARE = 0.022  # stuck: still open at AS_OF, overdue once the deadline passed
STRESS_NEVER_DONE_SHARE = 0.4
LATE_SHARE = 0.16
EXTENDED_SHARE = 0.10
SECOND_EXTENSION_SHARE = 0.15  # of the extended
REJECTED_SHARE = 0.02
COORDINATED_SHARE = 1 / 3
IN_PLAN_SHARE = 0.8
DUTY_SHARE = 0.05  # of the tasks: the periods of recurring duties, at most
PLANS_PER_YEAR = 12
NOTICES_PER_YEAR = 24
# The yearly reports of the last two years of this many communes of the sample province are
# issued: each snapshot computes a report's figures, which the world's size makes slow.
ISSUED_REPORT_COMMUNES = 1


@dataclass(kw_only=True)
class WorldInfo:
    """What the measurements need to know of a built world."""

    world: str
    seed: int
    stress: bool
    database: str
    as_of: str
    tasks: int
    units: int
    users: int
    root_unit_id: int
    province_unit_ids: list[int] = field(default_factory=list)
    sample_province_id: int = 0  # a province (the root itself in a province world)
    sample_commune_id: int = 0  # a commune of the sample province
    build_seconds: float = 0.0
    sample_department_id: int = 0  # a department of the sample province
    sample_office_id: int = 0  # the office (Văn phòng UBND) of the sample province
    admin_user_id: int = 0  # the administrator at the root (may record past events)
    channels: int = 0
    plans: int = 0
    obligations: int = 0
    duty_tasks: int = 0  # tasks that are periods of recurring duties
    issued_reports: int = 0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # where the build went


@dataclass(frozen=True)
class Shape:
    """The size of each province (the defaults are the issue's; tests shrink them)."""

    departments: int = DEPARTMENTS
    communes: int = COMMUNES
    officers: int = OFFICERS


# --- writing rows through the driver ----------------------------------------------------


class _Writer:
    """Rows as tuples, written through the driver: SQLite's executemany or PostgreSQL's COPY.

    Values are str, int, float, bool or None; dates are ISO strings (SQLAlchemy's storage
    form on SQLite, accepted by PostgreSQL's COPY), instants are `instant()` strings.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = is_postgres(session.get_bind())
        self.tables_with_ids: set[str] = set()
        self._superuser: bool | None = None

    def instant(self, day: date, seconds: int) -> str:
        """An instant `seconds` after 00:00 UTC of `day`, as the database stores it."""
        hours, rest = divmod(seconds, 3600)
        stamp = f"{day.isoformat()} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"
        return stamp + "+00" if self.postgres else stamp

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if columns[0] == "id":
            self.tables_with_ids.add(table)
        names = ", ".join(columns)
        driver: Any = self.session.connection().connection.driver_connection
        if self.postgres:
            statement = f'COPY "{table}" ({names}) FROM STDIN'
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            driver.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def tune(self) -> None:
        """SQLite, for this connection: no fsync per transaction (a benchmark world is rebuilt,
        not recovered)."""
        if not self.postgres:
            self.session.execute(text("PRAGMA synchronous=OFF"))

    def begin_bulk(self) -> None:
        """On PostgreSQL, when allowed (a superuser), the rest of this transaction skips the
        foreign-key triggers: the generator gives only ids it wrote, and a trigger per row
        makes COPY several times slower. (The tests check the references.)"""
        if self.postgres and self.superuser:
            self.session.execute(text("SET LOCAL session_replication_role = replica"))

    @property
    def superuser(self) -> bool:
        if self._superuser is None:
            self._superuser = bool(
                self.session.execute(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                ).scalar()
            )
        return self._superuser

    def set_indexes_aside(self, tables: Sequence[str]) -> list[str]:
        """Drop the secondary indexes of `tables` (not those behind a primary key or a unique
        constraint) and return the statements that create them again, exactly as they were:
        an index built once over a million rows costs a fraction of a million updates."""
        names = ", ".join(f"'{table}'" for table in tables)
        if self.postgres:
            found = self.session.execute(
                text(
                    f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                )
            ).all()
        else:
            found = self.session.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    f"AND tbl_name IN ({names}) AND sql IS NOT NULL"
                )
            ).all()
        for name, _ in found:
            self.session.execute(text(f'DROP INDEX "{name}"'))
        return [definition for _, definition in sorted(found)]

    def restore_indexes(self, definitions: Sequence[str]) -> None:
        if self.postgres:
            self.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for definition in definitions:
            self.session.execute(text(definition))

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids given here, then ANALYZE."""
        if self.postgres:
            for table in sorted(self.tables_with_ids):
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
        self.session.execute(text("ANALYZE"))

    def vacuum(self, engine: Engine) -> None:
        """On PostgreSQL, VACUUM the committed world as autovacuum would soon after a bulk
        load: without its visibility map every index-only scan (the counts of /stats, the
        lists' covering indexes) reads the table too, and the planner prefers a full scan."""
        if self.postgres:
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM"))


# --- the generator ------------------------------------------------------------------------


@dataclass
class _Province:
    number: int
    name: str
    committee: int
    office: int
    departments: list[int]
    communes: list[int]
    leaders: dict[int, list[int]] = field(default_factory=dict)  # unit → leader user ids
    officers: dict[int, list[int]] = field(default_factory=dict)  # unit → officer user ids
    directing_leaders: list[str] = field(default_factory=list)
    # Plans by issue date: (issued_on, plan_id, section ids), and notices: (issued_on, id).
    plans: list[tuple[date, int, list[int]]] = field(default_factory=list)
    notices: list[tuple[date, int]] = field(default_factory=list)
    lead_cumulative: list[float] = field(default_factory=list)
    children: list[int] = field(default_factory=list)  # departments, then communes


class _Counter:
    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last


class _Dates:
    """The calendar's add_working_days and add_days by an index of the working days around
    the history (the generator asks a million times; the calendar walks day by day)."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        first, last = HISTORY_START - timedelta(days=800), AS_OF + timedelta(days=800)
        self.first = first.toordinal()
        self.working = [
            day
            for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
            if calendar.is_working_day(day)
        ]
        # For each day of the range: how many of its working days fall on or before it.
        self.through: list[int] = []
        count, position = 0, 0
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            if position < len(self.working) and self.working[position] == day:
                count, position = count + 1, position + 1
            self.through.append(count)

    def add_working_days(self, day: date, count: int) -> date:
        """calendar.add_working_days: the count-th working day after `day`."""
        return self.working[self.through[day.toordinal() - self.first] + count - 1]

    def add_days(self, day: date, count: int) -> date:
        """calendar.add_days: n calendar days later, moved to a working day."""
        return self.add_working_days(day + timedelta(days=count - 1), 1)


TASK_COLUMNS = (
    "id",
    "title",
    "plan_id",
    "section_id",
    "source_document_id",
    "issuer_unit_id",
    "directing_leader",
    "lead_unit_id",
    "assigned_on",
    "deadline_kind",
    "deadline_amount",
    "original_due_on",
    "due_on",
    "extended_on",
    "state",
    "completion_reported_on",
    "completed_on",
    "confirmed_on",
    "paused_on",
    "cancelled_on",
    "result",
    "note",
    "version",
    "created_at",
    "updated_at",
    "obligation_id",
    "occurrence_key",
    "search_text",  # added by flush from title and note (models.search, as the ORM does)
)
_TITLE, _NOTE = TASK_COLUMNS.index("title"), TASK_COLUMNS.index("note")
ASSIGNMENT_COLUMNS = ("id", "task_id", "unit_id", "role", "assigned_on", "officer_id")
# The share of parts (lead or coordinating) whose unit put one officer in charge.
OFFICER_IN_CHARGE_SHARE = 0.85
EXTENSION_COLUMNS = (
    "id",
    "task_id",
    "requested_by_id",
    "requested_on",
    "old_due_on",
    "proposed_due_on",
    "reason",
    "status",
    "decided_on",
    "decided_by_id",
    "approved_due_on",
    "decision_note",
)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(kw_only=True)
class _Spec:
    """A task to write: who, when, which deadline; its life is drawn by _Generator.life."""

    province: _Province
    lead: int
    assigned_on: date
    deadline_kind: DeadlineKind
    deadline_amount: int | None
    due_on: date | None
    title: str
    plan_id: int | None = None
    section_id: int | None = None
    source_document_id: int | None = None
    note: str = ""
    obligation_id: int | None = None
    occurrence_key: str | None = None
    coordinators: Sequence[int] = ()
    directing_leader: str = ""


class _Generator:
    def __init__(self, rng: random.Random, writer: _Writer, dates: _Dates, *, stress: bool) -> None:
        self.rng = rng
        self.writer = writer
        self.dates = dates
        self.never_done = STRESS_NEVER_DONE_SHARE if stress else NEVER_DONE_SHARE
        self.officers_in_charge = not stress
        self.task_ids = _Counter()
        self.assignment_ids = _Counter()
        self.extension_ids = _Counter()
        self.tasks: list[tuple[Any, ...]] = []
        self.assignments: list[tuple[Any, ...]] = []
        self.extensions: list[tuple[Any, ...]] = []

    # -- one task's life, cut at AS_OF --------------------------------------------------

    def add(self, spec: _Spec) -> None:
        rng, assigned = self.rng, spec.assigned_on
        task_id = self.task_ids.next()
        province = spec.province
        events = [assigned]  # every day the task's version moved
        due = spec.due_on
        extended_on: date | None = None  # the latest approval's day, as settle_deadline keeps it
        decider = province.leaders[province.committee][0]
        requester = (province.officers.get(spec.lead) or province.leaders[spec.lead])[0]
        # Extensions: requested before the deadline of the moment, decided before it too.
        draw = rng.random()
        if due is not None and draw < EXTENDED_SHARE + REJECTED_SHARE:
            rounds = 2 if rng.random() < SECOND_EXTENSION_SHARE else 1
            decisions = (
                [ExtensionStatus.REJECTED]
                if draw >= EXTENDED_SHARE
                else [ExtensionStatus.APPROVED] * rounds
            )
            for decision in decisions:
                span = (due - max(events)).days
                if span < 4:
                    break
                requested = due - timedelta(days=rng.randint(2, min(20, span - 1)))
                decided = requested + timedelta(days=rng.randint(0, 1))
                proposed = due + timedelta(days=rng.choice((10, 15, 20, 30, 45, 60)))
                if requested > AS_OF:
                    break
                pending = decided > AS_OF
                status = ExtensionStatus.REQUESTED if pending else decision
                approved = proposed if status == ExtensionStatus.APPROVED else None
                self.extensions.append(
                    (
                        self.extension_ids.next(),
                        task_id,
                        requester,
                        requested.isoformat(),
                        due.isoformat(),
                        proposed.isoformat(),
                        "Khối lượng công việc lớn, cần thêm thời gian phối hợp với các đơn vị",
                        status.value,
                        None if pending else decided.isoformat(),
                        None if pending else decider,
                        _iso(approved),
                        "Không đồng ý gia hạn, đề nghị khẩn trương hoàn thành"
                        if status == ExtensionStatus.REJECTED
                        else "",
                    )
                )
                events.append(requested)
                if pending:  # nothing else happens to the request by AS_OF
                    break
                events.append(decided)
                if approved is not None:
                    due, extended_on = approved, decided
        # What becomes of it (dates may fall after AS_OF: the cut below drops them).
        draw = rng.random()
        completed = cancelled = paused = None
        if draw < CANCELLED_SHARE:
            cancelled = max(events) + timedelta(days=rng.randint(3, 120))
        elif draw < CANCELLED_SHARE + PAUSED_SHARE:
            paused = max(events) + timedelta(days=rng.randint(3, 60))
        elif draw < CANCELLED_SHARE + PAUSED_SHARE + self.never_done:
            pass
        elif due is None:
            if rng.random() < 0.5:
                completed = assigned + timedelta(days=rng.randint(30, 400))
        elif rng.random() < LATE_SHARE / (1 - self.never_done):
            completed = due + timedelta(days=1 + int(rng.expovariate(1 / 18)))
        else:
            earliest = max(events)
            early = min(int(rng.expovariate(1 / 6)), (due - earliest).days)
            completed = due - timedelta(days=max(early, 0))
        if completed is not None and completed < max(events):
            completed = max(events)
        reported = confirmed = None
        if completed is not None:
            reported = completed + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            confirmed = reported + timedelta(days=rng.choice((0, 1, 1, 2, 3, 5, 7)))
        # The cut at AS_OF.
        state = TaskState.OPEN
        if cancelled is not None and cancelled <= AS_OF:
            state = TaskState.CANCELLED
            events.append(cancelled)
        else:
            cancelled = None
        if paused is not None and paused <= AS_OF:
            state = TaskState.PAUSED
            events.append(paused)
        else:
            paused = None
        if reported is not None and reported <= AS_OF:
            events.append(reported)
            if confirmed is not None and confirmed <= AS_OF:
                state = TaskState.DONE
                events.append(confirmed)
            else:
                state, confirmed = TaskState.SUBMITTED, None
        else:
            completed = reported = confirmed = None
        last_event = max(events)
        writer = self.writer
        self.tasks.append(
            (
                task_id,
                spec.title,
                spec.plan_id,
                spec.section_id,
                spec.source_document_id,
                province.committee,
                spec.directing_leader,
                spec.lead,
                assigned.isoformat(),
                spec.deadline_kind.value,
                spec.deadline_amount,
                _iso(spec.due_on),
                _iso(due),
                _iso(extended_on),
                state.value,
                _iso(reported),
                _iso(completed),
                _iso(confirmed),
                _iso(paused),
                _iso(cancelled),
                RESULT if completed is not None else "",
                spec.note,
                len(events),
                writer.instant(assigned, 3600 + task_id % 25_000),
                writer.instant(last_event, 3600 + task_id % 25_000),
                spec.obligation_id,
                spec.occurrence_key,
            )
        )
        role_lead, role_coordinate = AssignmentRole.LEAD.value, AssignmentRole.COORDINATE.value
        day = assigned.isoformat()
        for unit_id, role in (
            (spec.lead, role_lead),
            *((u, role_coordinate) for u in spec.coordinators),
        ):
            self.assignments.append(
                (
                    self.assignment_ids.next(),
                    task_id,
                    unit_id,
                    role,
                    day,
                    self.officer_in_charge(province, task_id, unit_id),
                )
            )

    def officer_in_charge(self, province: _Province, task_id: int, unit_id: int) -> int | None:
        """The officer a unit put in charge of its part of a task, or None: chosen from the
        task and unit alone (a hash, not the generator's random stream, so the rest of the
        world is the same with or without), from its officers (else its leaders)."""
        if not self.officers_in_charge:
            return None
        draw = (task_id * 2_654_435_761 + unit_id * 40_503) % 2**32
        if draw % 1000 >= OFFICER_IN_CHARGE_SHARE * 1000:
            return None
        staff = province.officers.get(unit_id) or province.leaders[unit_id]
        return staff[(draw // 1000) % len(staff)]

    def flush(self, session: Session) -> None:
        self.writer.begin_bulk()
        tasks = [(*row, task_search_text(title=row[_TITLE], note=row[_NOTE])) for row in self.tasks]
        self.writer.write("task", TASK_COLUMNS, tasks)
        self.writer.write("taskassignment", ASSIGNMENT_COLUMNS, self.assignments)
        self.writer.write("extensionrequest", EXTENSION_COLUMNS, self.extensions)
        session.commit()
        self.tasks, self.assignments, self.extensions = [], [], []


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def _commune_names(count: int) -> list[str]:
    names = [f"{a} {b}" for a in NAME_PARTS for b in NAME_PARTS if a != b]
    step = max(1, len(names) // max(count, 1))
    return [names[(index * step) % len(names)] for index in range(count)]


class _Builder:
    def __init__(
        self,
        session: Session,
        *,
        rng: random.Random,
        shape: Shape,
        writer: _Writer,
        dates: _Dates,
    ) -> None:
        self.session = session
        self.rng = rng
        self.shape = shape
        self.writer = writer
        self.dates = dates
        self.unit_ids = _Counter()
        self.user_ids = _Counter()
        self.channel_ids = _Counter()
        self.document_ids = _Counter()
        self.plan_ids = _Counter()
        self.section_ids = _Counter()
        self.units: list[tuple[Any, ...]] = []
        self.users: list[tuple[Any, ...]] = []
        self.channels: list[tuple[Any, ...]] = []
        self.seal = sealer()

    # -- units and people ---------------------------------------------------------------

    def unit(
        self, code: str, name: str, kind: UnitKind, parent: tuple[int, str] | None, short: str
    ) -> tuple[int, str]:
        unit_id = self.unit_ids.next()
        path = f"{parent[1] if parent else '/'}{unit_id}/"
        self.units.append(
            (unit_id, code, name, short, kind.value, parent[0] if parent else None, path, "", "")
        )
        return unit_id, path

    def province(self, number: int, root: tuple[int, str] | None) -> _Province:
        rng, shape = self.rng, self.shape
        place, level = PROVINCES[(number - 1) % len(PROVINCES)]
        code = f"T{number:02d}"
        committee = self.unit(
            code,
            f"Ủy ban nhân dân {level} {place}",
            UnitKind.PROVINCE,
            root,
            f"UBND {level} {place}",
        )
        office = self.unit(
            f"{code}-VP",
            f"Văn phòng Ủy ban nhân dân {level} {place}",
            UnitKind.OFFICE,
            committee,
            "Văn phòng UBND",
        )
        departments = [
            self.unit(
                f"{code}-S{index:02d}",
                DEPARTMENT_NAMES[index % len(DEPARTMENT_NAMES)]
                + ("" if index < len(DEPARTMENT_NAMES) else f" {index}"),
                UnitKind.DEPARTMENT,
                committee,
                "",
            )[0]
            for index in range(shape.departments)
        ]
        communes = []
        for index, name in enumerate(_commune_names(shape.communes)):
            ward = index % 7 == 0  # about one in seven is a phường
            label = "phường" if ward else "xã"
            communes.append(
                self.unit(
                    f"{code}-X{index:03d}",
                    f"Ủy ban nhân dân {label} {name}",
                    UnitKind.WARD if ward else UnitKind.COMMUNE,
                    committee,
                    f"UBND {label} {name}",
                )[0]
            )
        province = _Province(
            number=number,
            name=place,
            committee=committee[0],
            office=office[0],
            departments=departments,
            communes=communes,
            children=departments + communes,
        )
        province.directing_leaders = [
            f"Phó Chủ tịch UBND {level} {_person(rng)}" for _ in range(4)
        ] + [f"Chủ tịch UBND {level} {_person(rng)}"]
        self.people(province, code)
        # Departments carry more than communes; a few of each carry much more.
        weights = [rng.uniform(2.0, 6.0) for _ in departments] + [
            rng.uniform(0.6, 1.8) for _ in communes
        ]
        total, running = sum(weights), 0.0
        for weight in weights:
            running += weight / total
            province.lead_cumulative.append(running)
        return province

    def people(self, province: _Province, code: str) -> None:
        """OFFICERS people: a share per unit by its kind (a department about 40, a commune
        about 15, the office about 15: the staff who follow the committee's tasks, all of
        whom the planner tells of a long-overdue one), the first few of each its leaders."""
        rng = self.rng
        units = [
            (province.committee, 2.0, 5),
            (province.office, 0.75, 3),
            *((unit, rng.uniform(1.2, 3.0), 4) for unit in province.departments),
            *((unit, rng.uniform(0.6, 1.0), 3) for unit in province.communes),
        ]
        total = sum(weight for _, weight, _ in units)
        remaining = self.shape.officers
        oa_id = str(4 * 10**17 + province.number * 7919)
        for position, (unit_id, weight, leaders) in enumerate(units):
            count = (
                remaining
                if position == len(units) - 1
                else max(leaders + 1, round(self.shape.officers * weight / total))
            )
            count = max(1, min(count, remaining - (len(units) - position - 1)))
            remaining -= count
            province.leaders[unit_id], province.officers[unit_id] = [], []
            for index in range(count):
                user_id = self.user_ids.next()
                role = (
                    Role.LEADER if index < min(leaders, count - 1) or count == 1 else Role.OFFICER
                )
                (province.leaders if role == Role.LEADER else province.officers)[unit_id].append(
                    user_id
                )
                username = f"{code.lower()}.u{unit_id}.{index:03d}"
                title = ("Phó " if index else "") + (
                    "Chủ tịch"
                    if unit_id in (province.committee, *province.communes)
                    else "Giám đốc"
                )
                self.users.append(
                    (
                        user_id,
                        username,
                        _person(rng),
                        unit_id,
                        role.value,
                        title if role == Role.LEADER else "Chuyên viên",
                        None,
                        True,
                        0,
                    )
                )
                email = f"mailto:{username.replace('.', '-')}@{code.lower()}.gov.vn"
                zalo = f"zalo://{oa_id}/{rng.randrange(10**17, 10**18)}"
                for kind, url, label in (
                    (ChannelKind.EMAIL, email, "Thư công vụ"),
                    (ChannelKind.ZALO, zalo, "Zalo"),
                ):
                    ciphertext, url_digest = self.seal(url)
                    self.channels.append(
                        (
                            self.channel_ids.next(),
                            user_id,
                            kind.value,
                            ciphertext,
                            url_digest,
                            label,
                            True,
                        )
                    )

    def write_people(self) -> None:
        write = self.writer.write
        unit_columns = (
            "id",
            "code",
            "name",
            "short_name",
            "kind",
            "parent_id",
            "path",
            "place_name",
            "parent_body_name",
            "search_name",
        )
        units = [(*row, unit_search_name(name=row[2], short_name=row[3])) for row in self.units]
        write("unit", unit_columns, units)
        write(
            "app_user",
            (
                "id",
                "username",
                "full_name",
                "unit_id",
                "role",
                "title",
                "password_hash",
                "active",
                "token_version",
            ),
            self.users,
        )
        write(
            "contactchannel",
            ("id", "user_id", "kind", "url", "url_digest", "label", "active"),
            self.channels,
        )
        self.units, self.users, self.channels = [], [], []

    # -- plans, notices ------------------------------------------------------------------

    def acts(self, provinces: list[_Province]) -> int:
        """Each committee's plans (with a document and sections) and notices, year by year.
        Numbers interleave the provinces, so no two share a symbol on one day."""
        rng, count = self.rng, len(provinces)
        documents, plans, sections = [], [], []
        for year in range(HISTORY_START.year - 1, AS_OF.year + 1):
            for province in provinces:
                for kind, per_year in (("KH", PLANS_PER_YEAR), ("TB", NOTICES_PER_YEAR)):
                    for index in range(per_year):
                        issued = date(year, 1, 5) + timedelta(days=(index * 360) // per_year)
                        issued += timedelta(days=rng.randint(0, 10))
                        if issued > AS_OF:
                            continue
                        number = 1 + province.number - 1 + count * (index * 7 + rng.randint(0, 6))
                        document_id = self.document_ids.next()
                        subject = PLAN_SUBJECTS[(index + province.number) % len(PLAN_SUBJECTS)]
                        summary = (
                            f"Kế hoạch {subject} năm {year}"
                            if kind == "KH"
                            else f"Thông báo kết luận của Chủ tịch UBND về {subject}"
                        )
                        documents.append(
                            (
                                document_id,
                                symbol(number, kind, "UBND"),
                                number,
                                None,
                                kind,
                                "UBND",
                                issued.isoformat(),
                                province.committee,
                                "",
                                summary,
                                province.directing_leaders[index % 5],
                            )
                        )
                        if kind == "TB":
                            province.notices.append((issued, document_id))
                            continue
                        plan_id = self.plan_ids.next()
                        plans.append((plan_id, document_id, summary, province.committee))
                        section_ids = []
                        for ordinal in range(1, rng.randint(3, 6) + 1):
                            section_id = self.section_ids.next()
                            section_ids.append(section_id)
                            sections.append(
                                (section_id, plan_id, ordinal, SECTION_TITLES[ordinal - 1])
                            )
                        province.plans.append((issued, plan_id, section_ids))
        for province in provinces:
            province.plans.sort()
            province.notices.sort()
        write = self.writer.write
        write(
            "document",
            (
                "id",
                "symbol",
                "number",
                "year",
                "type_code",
                "issuer_code",
                "issued_on",
                "issuer_unit_id",
                "issuer_name",
                "summary",
                "signer",
                "search_text",
            ),
            [(*row, document_search_text(symbol=row[1])) for row in documents],
        )
        write("plan", ("id", "document_id", "title", "issuer_unit_id"), plans)
        write("plansection", ("id", "plan_id", "ordinal", "title"), sections)
        return len(plans)


# The recurring duties' titles by report kind.
DUTY_TITLES = {
    "month": "Báo cáo tình hình thực hiện nhiệm vụ",
    "quarter": "Báo cáo kết quả công tác cải cách hành chính",
    "year": "Báo cáo tổng kết công tác",
}
OBLIGATION_COLUMNS = (
    "id",
    "title",
    "report_kind",
    "issuer_unit_id",
    "lead_unit_id",
    "recipient",
    "report_issuer_code",
    "plan_id",
    "source_document_id",
    "send_deadline_working_days",
    "starts_on",
    "ends_on",
    "draft_report",
    "active",
    "note",
    "version",
    "created_at",
    "updated_at",
)

# One period of a duty: its province, the duty, the period and its due day.
_Occurrence = tuple[_Province, Obligation, Period, date]


def _recipient(province: _Province) -> str:
    level = PROVINCES[(province.number - 1) % len(PROVINCES)][1]
    return f"Ủy ban nhân dân {level} {province.name} (qua Văn phòng)"


def _duties(
    session: Session, builder: _Builder, provinces: list[_Province], *, budget: int
) -> tuple[int, list[_Occurrence]]:
    """Recurring duties of departments (monthly, quarterly, yearly) and communes (quarterly,
    yearly), required by the committee, unit by unit (a department, a commune, …) while
    their periods stay within `budget`; their periods begun by AS_OF, with the keys, days and titles
    tracking.obligations gives them (so the daily sweep finds them already created)."""
    rules = {
        kind: PeriodRule.of(get_report_type(session=session, kind=kind)) for kind in DUTY_TITLES
    }
    periods = {
        kind: [
            period
            for year in range(HISTORY_START.year, AS_OF.year + 1)
            for period in periods_of_year(rule, year, builder.dates.calendar)
            if period.start <= AS_OF
        ]
        for kind, rule in rules.items()
    }
    rows: list[tuple[Any, ...]] = []
    occurrences: list[_Occurrence] = []
    created_at = builder.writer.instant(HISTORY_START, 3600)
    orders = []
    for province in provinces:
        departments, communes = province.departments, province.communes
        mixed = [u for pair in zip(departments, communes, strict=False) for u in pair]
        rest = departments[len(communes) :] + communes[len(departments) :]
        orders.append(mixed + rest)
    for position in range(max(len(order) for order in orders)):
        for province, order in zip(provinces, orders, strict=True):
            if position >= len(order):
                continue
            unit = order[position]
            kinds = (
                ("month", "quarter", "year")
                if unit in province.departments
                else ("quarter", "year")
            )
            if len(occurrences) + sum(len(periods[kind]) for kind in kinds) > budget:
                continue
            for kind in kinds:
                obligation = Obligation(
                    id=len(rows) + 1,
                    title=DUTY_TITLES[kind],
                    report_kind=kind,
                    issuer_unit_id=province.committee,
                    lead_unit_id=unit,
                    recipient=_recipient(province),
                    starts_on=HISTORY_START,
                    # The history's reports are not drafted again by the sweep.
                    draft_report=False,
                )
                rows.append(
                    (
                        obligation.id,
                        obligation.title,
                        kind,
                        province.committee,
                        unit,
                        obligation.recipient,
                        "",
                        None,
                        None,
                        None,
                        HISTORY_START.isoformat(),
                        None,
                        False,
                        True,
                        "",
                        1,
                        created_at,
                        created_at,
                    )
                )
                days = rules[kind].send_deadline_working_days
                for period in periods[kind]:
                    due = builder.dates.add_working_days(period.end, days)
                    if due >= HISTORY_START:
                        occurrences.append((province, obligation, period, due))
    builder.writer.write(table_of(Obligation).name, OBLIGATION_COLUMNS, rows)
    occurrences.sort(key=lambda o: (max(o[2].start, HISTORY_START), o[1].id or 0))
    return len(rows), occurrences


def _occurrence_spec(occurrence: _Occurrence) -> _Spec:
    """The task tracking.obligations creates for a period (its title, note and deadline)."""
    province, obligation, period, due = occurrence
    note = (
        f"Gửi {obligation.recipient}. Kỳ báo cáo: {period.start:%d/%m/%Y} – {period.end:%d/%m/%Y} "
        f"(chốt số liệu ngày {period.end:%d/%m/%Y})."
    )
    return _Spec(
        province=province,
        lead=obligation.lead_unit_id,
        assigned_on=max(period.start, obligation.starts_on),
        deadline_kind=DeadlineKind.DATE,
        deadline_amount=None,
        due_on=due,
        title=occurrence_title(obligation, period),
        note=note,
        obligation_id=obligation.id,
        occurrence_key=period.code,
    )


def _adhoc_spec(rng: random.Random, dates: _Dates, province: _Province, assigned: date) -> _Spec:
    children = province.children
    lead = children[bisect.bisect_left(province.lead_cumulative, rng.random() * 0.999999)]
    coordinators: list[int] = []
    if rng.random() < COORDINATED_SHARE and len(children) > 1:
        wanted = min(len(children) - 1, rng.choice((1, 1, 1, 2, 2, 3)))
        coordinators = [u for u in rng.sample(children, wanted + 1) if u != lead][:wanted]
    draw = rng.random()
    amount: int | None = None
    due: date | None
    if draw < NO_DEADLINE_SHARE:
        kind, due = DeadlineKind.NONE, None
    elif draw < 0.25:
        kind, amount = DeadlineKind.WORKING_DAYS, rng.choice((5, 7, 10, 15, 20, 30, 45, 60))
        due = dates.add_working_days(assigned, amount)
    elif draw < 0.33:
        kind, amount = DeadlineKind.DAYS, rng.choice((7, 10, 15, 30, 60, 90))
        due = dates.add_days(assigned, amount)
    else:
        kind = DeadlineKind.DATE
        due = dates.add_working_days(assigned, 5 + min(int(rng.expovariate(1 / 30)), 250))
    plan_id = section_id = document_id = None
    if rng.random() < IN_PLAN_SHARE:
        # A plan of the last two years (the latest ones more likely).
        index = bisect.bisect_right(province.plans, (assigned, 10**12)) - 1
        index = max(0, index - min(int(rng.expovariate(1 / 6)), 2 * PLANS_PER_YEAR))
        _, plan_id, sections = province.plans[index]
        section_id = rng.choice(sections)
    else:
        index = bisect.bisect_right(province.notices, (assigned, 10**12)) - 1
        document_id = province.notices[max(0, index - rng.randint(0, 3))][1]
    title = f"{rng.choice(TASK_VERBS)} {rng.choice(TASK_OBJECTS)} " + rng.choice(
        TASK_SCOPES
    ).format(year=assigned.year)
    return _Spec(
        province=province,
        lead=lead,
        assigned_on=assigned,
        deadline_kind=kind,
        deadline_amount=amount,
        due_on=due,
        title=title,
        plan_id=plan_id,
        section_id=section_id,
        source_document_id=document_id,
        coordinators=coordinators,
        directing_leader=rng.choice(province.directing_leaders),
    )


def _specs(
    rng: random.Random,
    dates: _Dates,
    provinces: list[_Province],
    occurrences: list[_Occurrence],
    adhoc: int,
) -> Iterator[_Spec]:
    """Every task in the order it was assigned: ad-hoc tasks spread over the working days of
    the history, round the provinces, with the duties' periods where they begin."""
    days = [day for day in dates.working if HISTORY_START <= day <= AS_OF]
    pending = iter(occurrences)
    upcoming = next(pending, None)
    for index in range(adhoc):
        assigned = days[index * len(days) // adhoc]
        while upcoming is not None and max(upcoming[2].start, HISTORY_START) <= assigned:
            yield _occurrence_spec(upcoming)
            upcoming = next(pending, None)
        yield _adhoc_spec(rng, dates, provinces[index % len(provinces)], assigned)
    while upcoming is not None:
        yield _occurrence_spec(upcoming)
        upcoming = next(pending, None)


def _issue_reports(
    session: Session, provinces: list[_Province], admin: Actor, dates: _Dates
) -> int:
    """A few communes' yearly reports of the last two years, drafted and issued by the
    product's report service (real figures, numbers from the unit's counter): in the sample
    province only, as each snapshot computes a report's figures."""
    rule = PeriodRule.of(get_report_type(session=session, kind="year"))
    issued = 0
    for province in provinces[:1]:
        for unit in province.communes[:ISSUED_REPORT_COMMUNES]:
            for year in (AS_OF.year - 2, AS_OF.year - 1):
                period = periods_of_year(rule, year, dates.calendar)[0]
                report = report_service.create_draft(
                    session=session,
                    actor=admin,
                    kind="year",
                    period_code=period.code,
                    unit_id=unit,
                    as_of=period.end,
                    issuer_code="UBND",
                    texts={
                        "shortcomings": "Một số nhiệm vụ còn chậm so với thời hạn được giao.",
                        "recommendations": "Đề nghị các sở hướng dẫn, hỗ trợ chuyên môn.",
                        "orientation": "Tập trung hoàn thành các nhiệm vụ trọng tâm năm tới.",
                        "signature": {
                            "authority": "TM. ỦY BAN NHÂN DÂN",
                            "title": "CHỦ TỊCH",
                            "name": "Nguyễn Văn An",
                        },
                    },
                )
                report_service.issue(
                    session=session,
                    actor=admin,
                    report_id=report.id or 0,
                    expected_version=report.version,
                    issued_on=period.send_by,
                )
                issued += 1
        session.commit()
    return issued


def build(
    engine: Engine,
    *,
    world: WorldName,
    seed: int = SEED,
    stress: bool = False,
    tasks: int | None = None,
    shape: Shape | None = None,
    provinces: int | None = None,
    issue_reports: bool = True,
) -> WorldInfo:
    """Migrate the (empty) database and write the world into it. `shape` and `provinces`
    shrink it and `issue_reports=False` leaves the reports out (tests); the defaults are the
    issue's."""
    upgrade(engine)
    shape = shape or Shape()
    rng = random.Random(seed)
    started = time.perf_counter()
    phases: dict[str, float] = {}
    last = [started]

    def lap() -> float:
        now = time.perf_counter()
        seconds, last[0] = round(now - last[0], 2), now
        return seconds

    task_count = tasks if tasks is not None else TASKS[world]
    province_count = (provinces or PROVINCES_IN_COUNTRY) if world == "country" else 1
    # One connection for the whole build, closed at the end rather than pooled: it carries
    # bulk-load settings nobody else should inherit.
    with engine.connect() as connection, Session(connection, expire_on_commit=False) as session:
        try:
            load_official_overrides(session=session)
            session.commit()
            dates = _Dates(load_calendar(session))
            writer = _Writer(session)
            writer.tune()
            builder = _Builder(session, rng=rng, shape=shape, writer=writer, dates=dates)
            root = (
                builder.unit("VN", "Chính phủ", UnitKind.OTHER, None, "")
                if world == "country"
                else None
            )
            world_provinces = [builder.province(n, root) for n in range(1, province_count + 1)]
            admin_unit = root[0] if root else world_provinces[0].committee
            admin_id = builder.user_ids.next()
            builder.users.append(
                (
                    admin_id,
                    "quantri",
                    "Quản trị hệ thống",
                    admin_unit,
                    Role.ADMIN.value,
                    "",
                    None,
                    True,
                    0,
                )
            )
            builder.write_people()
            phases["people"] = lap()
            plan_count = builder.acts(world_provinces)
            session.commit()
            obligation_count, occurrences = _duties(
                session, builder, world_provinces, budget=int(task_count * DUTY_SHARE)
            )
            session.commit()
            generator = _Generator(rng, writer, dates, stress=stress)
            indexes = writer.set_indexes_aside(("task", "taskassignment", "extensionrequest"))
            session.commit()
            adhoc = task_count - len(occurrences)
            for spec in _specs(rng, dates, world_provinces, occurrences, adhoc):
                generator.add(spec)
                if len(generator.tasks) >= TASKS_PER_BATCH:
                    generator.flush(session)
            generator.flush(session)
            phases["tasks"] = lap()
            writer.restore_indexes(indexes)
            session.commit()
            phases["indexes"] = lap()
            writer.finish()
            session.commit()
            writer.vacuum(engine)
            admin = Actor(name="quantri", user_id=admin_id, unit_id=admin_unit, role=Role.ADMIN)
            phases["analyze"] = lap()
            issued = _issue_reports(session, world_provinces, admin, dates) if issue_reports else 0
            session.commit()
            phases["reports"] = lap()
            sample = world_provinces[0]
            return WorldInfo(
                world=world,
                seed=seed,
                stress=stress,
                database=engine.dialect.name,
                as_of=AS_OF.isoformat(),
                tasks=generator.task_ids.last,
                units=builder.unit_ids.last,
                users=builder.user_ids.last,
                root_unit_id=root[0] if root else sample.committee,
                province_unit_ids=[p.committee for p in world_provinces],
                sample_province_id=sample.committee,
                sample_commune_id=sample.communes[-1],
                build_seconds=round(time.perf_counter() - started, 2),
                phase_seconds=phases,
                sample_department_id=sample.departments[0],
                sample_office_id=sample.office,
                admin_user_id=admin_id,
                channels=builder.channel_ids.last,
                plans=plan_count,
                obligations=obligation_count,
                duty_tasks=len(occurrences),
                issued_reports=issued,
            )
        finally:
            connection.invalidate()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--world", choices=["province", "country"], default="province")
    parser.add_argument("--tasks", type=int, default=None, help="override the world's task count")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--stress", action="store_true", help="40 %% of the tasks never done")
    parser.add_argument("--database-url", required=True)
    arguments = parser.parse_args()
    engine = make_engine(arguments.database_url)
    info = build(
        engine,
        world=arguments.world,
        seed=arguments.seed,
        stress=arguments.stress,
        tasks=arguments.tasks,
    )
    engine.dispose()
    print(json.dumps(asdict(info), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
