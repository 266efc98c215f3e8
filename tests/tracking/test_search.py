"""Search that ignores diacritics and case (issue 15): the task list's text filter, the unit
and document lists' `q`, on both databases, with the caller's reach kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models import AuditEvent, Role, Task, Unit, UnitKind
from models.db import is_postgres
from models.search import fold
from tests.world import ACTOR, WorldBuilder
from tracking import documents, tasks, units
from tracking.access import Principal
from tracking.deadlines import DeadlineRule
from tracking.errors import InvalidInput
from tracking.task_queries import TaskFilter, list_tasks

AS_OF = date(2026, 6, 30)
ASSIGNED = date(2026, 3, 2)


@dataclass
class Searched:
    principal: Principal
    ids: dict[str, int]
    zone: Unit
    department: Unit


def _assign(
    session: Session,
    title: str,
    *,
    issuer: Unit,
    lead: Unit,
    coordinators: tuple[Unit, ...] = (),
    note: str = "",
    document_id: int | None = None,
) -> int:
    task = tasks.assign(
        session=session,
        actor=ACTOR,
        title=title,
        note=note,
        issuer_unit_id=issuer.id or 0,
        lead_unit_id=lead.id or 0,
        coordinating_unit_ids=[unit.id or 0 for unit in coordinators],
        assigned_on=ASSIGNED,
        deadline=DeadlineRule.fixed(date(2026, 9, 30)),
        source_document_id=document_id,
    )
    return task.id or 0


@pytest.fixture
def searched(session: Session) -> Searched:
    """Quảng Ngãi with a department and the special zone Lý Sơn, and another province whose
    tasks use the same words (the province's leader must never see them)."""
    build = WorldBuilder(session)
    province = build.unit("QNG", "Tỉnh Quảng Ngãi", UnitKind.PROVINCE)
    department = build.unit("QNG-XD", "Sở Xây dựng", UnitKind.DEPARTMENT, parent=province)
    zone = build.unit(
        "QNG-LS", "Đặc khu Lý Sơn", UnitKind.SPECIAL_ZONE, parent=province, short_name="Lý Sơn"
    )
    other = build.unit("KTM", "Tỉnh Kon Tum", UnitKind.PROVINCE)
    other_commune = build.unit("KTM-X", "Xã Đăk Hà", UnitKind.COMMUNE, parent=other)
    leader = build.user("lanhdao", unit=province, role=Role.LEADER)
    plan_document = build.document(
        "61/KH-UBND", issued_on=date(2026, 2, 20), summary="Kế hoạch cải cách", issuer=province
    )
    ids = {
        "digital": _assign(
            session, "Triển khai kế hoạch Chuyển đổi số năm 2026", issuer=province, lead=department
        ),
        "road": _assign(session, "Sửa chữa ĐƯỜNG giao thông nông thôn", issuer=province, lead=zone),
        "coordinated": _assign(
            session,
            "Kiểm tra công trình thuỷ lợi",
            issuer=province,
            lead=department,
            coordinators=(zone,),
        ),
        "by_document": _assign(
            session,
            "Rà soát thủ tục hành chính",
            issuer=province,
            lead=department,
            document_id=plan_document.id,
        ),
        "percent": _assign(
            session, "Đạt tỷ lệ 100% hồ sơ trực tuyến", issuer=province, lead=department
        ),
        "thousand": _assign(session, "Số hoá 1000 hồ sơ lưu trữ", issuer=province, lead=department),
        "underscore": _assign(
            session, "Cập nhật dữ liệu", issuer=province, lead=department, note="Tệp ma_so.xlsx"
        ),
        "no_underscore": _assign(
            session, "Cập nhật danh mục", issuer=province, lead=department, note="Mã số thuế"
        ),
        "elsewhere": _assign(
            session,
            "Chuyển đổi số và sửa đường ở Đặc khu Lý Sơn",
            issuer=other,
            lead=other_commune,
        ),
    }
    session.commit()
    return Searched(
        principal=Principal.of(user=leader, unit=province),
        ids=ids,
        zone=zone,
        department=department,
    )


def _found(session: Session, searched: Searched, query: str, **filters: object) -> set[str]:
    page = list_tasks(
        session=session,
        principal=searched.principal,
        flt=TaskFilter(as_of=AS_OF, text=query, **filters),
    )
    assert page.total == len(page.items)
    names = {task_id: name for name, task_id in searched.ids.items()}
    return {names[item.task.id or 0] for item in page.items}


def test_fold_drops_diacritics_and_case_and_reads_d_for_dd() -> None:
    assert fold("Đặc khu  Lý Sơn") == "dac khu ly son"
    assert fold("ĐƯỜNG\tđường") == "duong duong"
    assert fold("Thuỷ lợi, Thủy lợi") == "thuy loi, thuy loi"
    assert fold("61/KH-UBND") == "61/kh-ubnd"
    assert fold("   ") == ""


@pytest.mark.parametrize(
    "query", ["chuyen doi so", "Chuyển đổi số", "CHUYỂN ĐỔI SỐ", "chuyen  DOI"]
)
def test_words_found_with_or_without_diacritics(
    session: Session, searched: Searched, query: str
) -> None:
    assert _found(session, searched, query) == {"digital"}


@pytest.mark.parametrize("query", ["DUONG", "đường", "Duong giao"])
def test_dd_matches_d(session: Session, searched: Searched, query: str) -> None:
    assert _found(session, searched, query) == {"road"}


@pytest.mark.parametrize("query", ["dac khu ly son", "Đặc khu Lý Sơn", "ly son"])
def test_a_units_name_finds_the_tasks_it_leads_or_coordinates(
    session: Session, searched: Searched, query: str
) -> None:
    assert _found(session, searched, query) == {"road", "coordinated"}
    in_zone = _found(session, searched, query, unit=searched.zone)
    assert in_zone == {"road", "coordinated"}


@pytest.mark.parametrize("query", ["61/kh", "61/KH-UBND", "kh-ubnd"])
def test_a_document_number_finds_its_tasks(
    session: Session, searched: Searched, query: str
) -> None:
    assert _found(session, searched, query) == {"by_document"}


def test_like_wildcards_are_literal(session: Session, searched: Searched) -> None:
    assert _found(session, searched, "100%") == {"percent"}
    assert _found(session, searched, "a_s") == {"underscore"}
    assert _found(session, searched, "%%%") == set()
    assert _found(session, searched, '"so"') == set()
    # The same within one unit, where each of its tasks is tested by LIKE.
    department = searched.department
    assert _found(session, searched, "100%", unit=department) == {"percent"}
    assert _found(session, searched, "a_s", unit=department) == {"underscore"}
    assert _found(session, searched, "%%%", unit=department) == set()


def test_another_provinces_tasks_never_appear(session: Session, searched: Searched) -> None:
    """The other province's task holds every word searched above: still never listed."""
    for query in ("chuyen doi so", "duong", "dac khu ly son", "Đăk Hà", "kon tum"):
        assert "elsewhere" not in _found(session, searched, query)


def test_too_short_a_query_is_refused_and_blank_is_no_filter(
    session: Session, searched: Searched
) -> None:
    for query in ("ab", " đ ", "Số"):
        with pytest.raises(InvalidInput) as refused:
            _found(session, searched, query)
        assert refused.value.code == "search.too_short"
        assert refused.value.field == "q"
        assert "3 ký tự" in refused.value.message
    assert _found(session, searched, "   ") == set(searched.ids) - {"elsewhere"}


def test_edits_and_renames_are_found_at_once(session: Session, searched: Searched) -> None:
    task_id = searched.ids["thousand"]
    task = tasks.get(session=session, task_id=task_id)
    tasks.update(
        session=session,
        actor=ACTOR,
        task_id=task_id,
        expected_version=task.version,
        title="Số hoá hồ sơ địa chính",
        note="Ưu tiên xã đảo",
    )
    units.update(session=session, actor=ACTOR, unit=searched.zone, name="Đặc khu Lý Sơn mới")
    session.commit()
    assert _found(session, searched, "dia chinh") == {"thousand"}
    assert _found(session, searched, "uu tien xa dao") == {"thousand"}
    assert _found(session, searched, "1000 ho so") == set()
    assert _found(session, searched, "ly son moi") == {"road", "coordinated"}
    # Derived columns stay out of the audit trail.
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "unit")).all()
    assert events and all("search_name" not in (event.after or {}) for event in events)


def test_units_and_documents_lists_search_by_name_and_number(
    session: Session, searched: Searched
) -> None:
    found = units.list_units(session=session, text="dac khu LY SON")
    assert [unit.code for unit in found] == ["QNG-LS"]
    assert {unit.code for unit in units.list_units(session=session, text="tinh")} == {
        "QNG",
        "KTM",
    }
    assert [d.symbol for d in documents.list_documents(session=session, text="61/kh")] == [
        "61/KH-UBND"
    ]
    assert documents.list_documents(session=session, text="62/kh") == []
    with pytest.raises(InvalidInput, match="3 ký tự"):
        units.list_units(session=session, text="ly")


def test_stored_text_is_folded_on_every_database(session: Session, searched: Searched) -> None:
    stored = session.exec(
        select(Task.search_text).where(Task.id == searched.ids["underscore"])
    ).one()
    assert stored == "cap nhat du lieu\ntep ma_so.xlsx"
    if not is_postgres(session.get_bind()):
        indexed = session.execute(
            text("SELECT count(*) FROM task_search WHERE task_search MATCH '\"du lieu\"'")
        ).scalar_one()
        assert indexed == 1
