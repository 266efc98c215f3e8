"""The seed's world: Quảng Ngãi province, Lý Sơn district and the 2021 tasks of Plan 61/KH-UBND.

Drawn from the district's report 555/BC-UBND of 02/11/2021, which says: "có 05 nhiệm vụ do
UBND tỉnh, Chủ tịch UBND tỉnh giao, đã hoàn thành 3 nhiệm vụ, còn 02 nhiệm vụ chưa đến hạn".
Building it twice changes nothing (the province's code marks the world as built).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlmodel import Session

from models import Role, Unit, UnitKind
from tracking import documents, plans, tasks, units
from tracking.audit import Actor
from tracking.deadlines import DeadlineRule

PROVINCE_CODE = "QNG"
DISTRICT_CODE = "QNG-LYSON"
REPORT_DATE = date(2021, 11, 2)
YEAR_START = date(2021, 1, 1)
DEMO_ACTOR = Actor(name="demo")

UNITS: list[tuple[str, str, str, UnitKind, str | None, str]] = [
    (
        PROVINCE_CODE,
        "Ủy ban nhân dân tỉnh Quảng Ngãi",
        "UBND tỉnh",
        UnitKind.PROVINCE,
        None,
        "Quảng Ngãi",
    ),
    (
        "QNG-VP",
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Văn phòng UBND tỉnh",
        UnitKind.OFFICE,
        PROVINCE_CODE,
        "Quảng Ngãi",
    ),
    (
        "QNG-STTTT",
        "Sở Thông tin và Truyền thông",
        "Sở TT&TT",
        UnitKind.DEPARTMENT,
        PROVINCE_CODE,
        "Quảng Ngãi",
    ),
    (
        DISTRICT_CODE,
        "Ủy ban nhân dân huyện Lý Sơn",
        "UBND huyện Lý Sơn",
        UnitKind.DISTRICT,
        PROVINCE_CODE,
        "Lý Sơn",
    ),
    (
        "QNG-LYSON-VP",
        "Văn phòng HĐND và UBND huyện",
        "Văn phòng huyện",
        UnitKind.OFFICE,
        DISTRICT_CODE,
        "Lý Sơn",
    ),
    (
        "QNG-LYSON-VHTT",
        "Phòng Văn hóa và Thông tin",
        "Phòng VH&TT",
        UnitKind.DEPARTMENT,
        DISTRICT_CODE,
        "Lý Sơn",
    ),
    (
        "QNG-LYSON-TCKH",
        "Phòng Tài chính - Kế hoạch",
        "Phòng TC-KH",
        UnitKind.DEPARTMENT,
        DISTRICT_CODE,
        "Lý Sơn",
    ),
]
PARENT_BODY_NAMES = {PROVINCE_CODE: "UBND TỈNH QUẢNG NGÃI", DISTRICT_CODE: "UBND HUYỆN LÝ SƠN"}

PLAN_61_SECTIONS = [
    "Xây dựng, hoàn thiện cơ chế, chính sách về phát triển Chính quyền điện tử",
    "Xây dựng, phát triển Chính quyền điện tử bảo đảm gắn kết chặt chẽ giữa ứng dụng công nghệ"
    " thông tin với cải cách hành chính",
    "Xây dựng chính quyền điện tử bảo đảm gắn kết chặt chẽ với bảo đảm an ninh, an toàn thông"
    " tin, an ninh quốc gia, bảo vệ thông tin cá nhân",
    "Bảo đảm các nguồn lực triển khai xây dựng Chính quyền điện tử",
]


@dataclass(frozen=True)
class DemoWorld:
    province: Unit
    department: Unit
    district: Unit
    created: bool


def build(*, session: Session) -> DemoWorld:
    """Create the world if it is not there yet; return its main units either way."""
    existing = units.find_by_code(session=session, code=PROVINCE_CODE)
    if existing is not None:
        return DemoWorld(
            province=existing,
            department=units.get_by_code(session=session, code="QNG-STTTT"),
            district=units.get_by_code(session=session, code=DISTRICT_CODE),
            created=False,
        )
    actor = DEMO_ACTOR
    # (code, name, short name, kind, parent code, place): the seed's bodies and offices.
    made: dict[str, Unit] = {}
    for code, name, short_name, kind, parent_code, place in UNITS:
        parent = made[parent_code] if parent_code else None
        made[code] = units.create(
            session=session,
            actor=actor,
            code=code,
            name=name,
            short_name=short_name,
            kind=kind,
            parent=parent,
            place_name=place,
            parent_body_name=PARENT_BODY_NAMES.get(parent_code or "", ""),
        )
    province, department, district = (made[PROVINCE_CODE], made["QNG-STTTT"], made[DISTRICT_CODE])
    office, district_office, culture = made["QNG-VP"], made["QNG-LYSON-VP"], made["QNG-LYSON-VHTT"]
    for username, full_name, unit, role, title in [
        ("admin", "Quản trị hệ thống", office, Role.ADMIN, "Quản trị viên"),
        ("vp.tinh", "Trần Thị Hoa", office, Role.OFFICER, "Chuyên viên theo dõi nhiệm vụ"),
        ("stttt", "Nguyễn Văn Bình", department, Role.OFFICER, "Chuyên viên"),
        ("ninh.lv", "Lê Văn Ninh", district, Role.LEADER, "Phó Chủ tịch UBND huyện"),
        ("vp.lyson", "Phạm Thị Lan", district_office, Role.OFFICER, "Chuyên viên Văn phòng"),
        ("vhtt.lyson", "Võ Minh Tâm", culture, Role.OFFICER, "Chuyên viên"),
    ]:
        units.create_user(
            session=session,
            actor=actor,
            username=username,
            full_name=full_name,
            unit=unit,
            role=role,
            title=title,
        )

    plan_document = documents.create(
        session=session,
        actor=actor,
        symbol="61/KH-UBND",
        issued_on=date(2019, 4, 10),
        issuer=province,
        signer="Chủ tịch UBND tỉnh",
        summary="Thực hiện Nghị quyết số 17/NQ-CP ngày 07/3/2019 của Chính phủ về một số nhiệm"
        " vụ, giải pháp trọng tâm phát triển Chính phủ điện tử giai đoạn 2019 – 2020, định hướng"
        " đến năm 2025 trên địa bàn tỉnh Quảng Ngãi",
    )
    documents.create(
        session=session,
        actor=actor,
        symbol="1412/STTTT",
        issued_on=date(2021, 10, 26),
        issuer=department,
        summary="Về việc báo cáo kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của"
        " UBND tỉnh năm 2021",
    )
    online_services = documents.create(
        session=session,
        actor=actor,
        symbol="131/KH-UBND",
        issued_on=date(2021, 9, 17),
        issuer=province,
        signer="Chủ tịch UBND tỉnh",
        summary="Cung cấp dịch vụ công trực tuyến mức độ 3, 4 trên Cổng dịch vụ công tỉnh năm 2021",
    )
    plan = plans.create(
        session=session,
        actor=actor,
        issuer=province,
        document=plan_document,
        title="Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh về phát triển Chính phủ điện"
        " tử giai đoạn 2019 – 2020, định hướng đến năm 2025",
        section_titles=PLAN_61_SECTIONS,
    )
    section_ids = [s.id or 0 for s in plans.sections(session=session, plan_id=plan.id or 0)]
    _assign_2021_tasks(
        session,
        province,
        department,
        district,
        plan.id or 0,
        section_ids,
        online_services.id or 0,
        plan_document.id or 0,
    )
    return DemoWorld(province=province, department=department, district=district, created=True)


def _assign_2021_tasks(
    session: Session,
    province: Unit,
    department: Unit,
    district: Unit,
    plan_id: int,
    section_ids: list[int],
    online_services_document_id: int,
    plan_document_id: int,
) -> None:
    actor = DEMO_ACTOR
    assign = partial(
        tasks.assign,
        session=session,
        actor=actor,
        issuer_unit_id=province.id or 0,
        plan_id=plan_id,
        directing_leader="Chủ tịch UBND tỉnh",
    )
    # (title, section, assigned, rule, coordinators, completion: (done, reported, confirmed))
    done_tasks = [
        (
            "Tổ chức tập huấn phần mềm Một cửa điện tử dùng chung cho cán bộ, công chức, viên"
            " chức tham gia giải quyết thủ tục hành chính",
            1,
            date(2021, 3, 15),
            DeadlineRule.fixed(date(2021, 6, 30)),
            (date(2021, 6, 25), date(2021, 6, 28), date(2021, 6, 30)),
            "Đã tổ chức 02 lớp tập huấn cho 45 lượt cán bộ, công chức, viên chức.",
        ),
        (
            "Rà soát, đề nghị cấp lại mã định danh điện tử của các cơ quan, đơn vị theo Quyết"
            " định số 20/2020/QĐ-TTg ngày 22/7/2020 của Thủ tướng Chính phủ",
            2,
            date(2021, 4, 5),
            DeadlineRule.working_days(30),
            (date(2021, 5, 14), date(2021, 5, 14), date(2021, 5, 20)),
            "Đã gửi Sở Thông tin và Truyền thông đề nghị cấp lại mã định danh cho 12 cơ quan,"
            " đơn vị.",
        ),
        (
            "Đăng ký bổ sung thủ tục dịch vụ công trực tuyến mức độ 3 thuộc thẩm quyền giải"
            " quyết của UBND huyện theo Kế hoạch số 131/KH-UBND ngày 17/9/2021",
            1,
            date(2021, 9, 20),
            DeadlineRule.working_days(15),
            (date(2021, 10, 8), date(2021, 10, 8), date(2021, 10, 12)),
            "Đã đăng ký thêm 04 thủ tục dịch vụ công trực tuyến mức độ 3.",
        ),
    ]
    for title, section, assigned_on, rule, (done, reported, confirmed), result in done_tasks:
        task = assign(
            title=title,
            section_id=section_ids[section],
            lead_unit_id=district.id or 0,
            coordinating_unit_ids=[department.id or 0],
            assigned_on=assigned_on,
            deadline=rule,
            source_document_id=online_services_document_id
            if section == 1 and done.month == 10
            else plan_document_id,
        )
        tasks.report_completion(
            session=session,
            actor=actor,
            task_id=task.id or 0,
            expected_version=task.version,
            completed_on=done,
            reported_on=reported,
            result=result,
        )
        tasks.confirm_completion(
            session=session,
            actor=actor,
            task_id=task.id or 0,
            expected_version=task.version,
            confirmed_on=confirmed,
        )
    security = assign(
        title="Lập hồ sơ đề xuất cấp độ an toàn thông tin của hệ thống mạng nội bộ, gửi Sở Thông"
        " tin và Truyền thông thẩm định, phê duyệt",
        section_id=section_ids[2],
        lead_unit_id=district.id or 0,
        coordinating_unit_ids=[department.id or 0],
        assigned_on=date(2021, 9, 1),
        deadline=DeadlineRule.fixed(date(2021, 11, 1)),
        source_document_id=plan_document_id,
    )
    extension = tasks.request_extension(
        session=session,
        actor=actor,
        task_id=security.id or 0,
        expected_version=security.version,
        proposed_due_on=date(2021, 11, 30),
        requested_on=date(2021, 10, 25),
        reason="Chờ Sở Thông tin và Truyền thông hướng dẫn biểu mẫu hồ sơ cấp độ mới.",
    )
    tasks.approve_extension(
        session=session,
        actor=actor,
        extension_id=extension.id or 0,
        expected_version=security.version,
        decided_on=date(2021, 10, 28),
    )
    assign(
        title="Xây dựng, ban hành Kế hoạch chuyển đổi số năm 2022 của huyện Lý Sơn",
        section_id=section_ids[0],
        lead_unit_id=district.id or 0,
        assigned_on=date(2021, 10, 12),
        deadline=DeadlineRule.fixed(date(2021, 12, 15)),
        source_document_id=plan_document_id,
    )
    # The department's own tasks, so that the province-wide view is not the district alone.
    assign(
        title="Hướng dẫn các huyện xác định cấp độ an toàn hệ thống thông tin",
        section_id=section_ids[2],
        lead_unit_id=department.id or 0,
        assigned_on=date(2021, 6, 1),
        deadline=DeadlineRule.fixed(date(2021, 9, 30)),
        source_document_id=plan_document_id,
    )
    assign(
        title="Tổng hợp, báo cáo UBND tỉnh kết quả thực hiện Kế hoạch số 61/KH-UBND năm 2021",
        section_id=section_ids[3],
        lead_unit_id=department.id or 0,
        coordinating_unit_ids=[district.id or 0],
        assigned_on=date(2021, 10, 26),
        deadline=DeadlineRule.working_days(20),
        source_document_id=plan_document_id,
    )
