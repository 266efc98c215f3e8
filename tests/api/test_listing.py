"""Listing tasks: filters, sort, pages and the caller's reach, all answered in SQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from models import Role
from settings import DEFAULT_SECRET, Environment, Settings
from tests.api.conftest import SETUP, World, today_iso
from tracking import clock
from tracking import tasks as tasks_service
from tracking.deadlines import DeadlineRule


@pytest.fixture(scope="module")
def listed(world: World) -> dict[str, int]:
    """A small, known set of tasks with a distinctive word in their titles."""
    today = clock.today()
    ids = {
        "overdue": world.new_task(
            title="Danhmuc quá hạn về đất đai",
            deadline=DeadlineRule.fixed(today - timedelta(days=5)),
        ),
        "soon": world.new_task(
            title="Danhmuc sắp đến hạn", deadline=DeadlineRule.fixed(today + timedelta(days=1))
        ),
        "standing": world.new_task(title="Danhmuc thường xuyên", deadline=DeadlineRule.none()),
        "coordinated": world.new_task(
            title="Danhmuc do Sở Y tế chủ trì",
            lead_unit_id=world.unit_id("other"),
            coordinating_unit_ids=[world.unit_id("lead_child")],
        ),
    }
    with world.session() as session:
        tasks_service.report_completion(
            session=session,
            actor=SETUP,
            task_id=ids["soon"],
            expected_version=1,
            completed_on=today,
            result="Xong",
        )
        session.commit()
    return ids


def _ids(world: World, role: tuple[str, Role], **params: object) -> list[int]:
    response = world.client.get(
        "/api/v1/tasks", params={"q": "danhmuc", **params}, headers=world.headers(*role)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] >= len(body["items"])
    return [item["id"] for item in body["items"]]


ROOT = ("root", Role.VIEWER)


def test_filters_by_category_as_of_a_date(world: World, listed: dict[str, int]) -> None:
    assert _ids(world, ROOT, category="overdue") == [listed["overdue"]]
    assert _ids(world, ROOT, category="no_deadline") == [listed["standing"]]
    assert _ids(world, ROOT, awaiting_confirmation="true") == [listed["soon"]]
    # Ten days ago the overdue task was still within its deadline.
    earlier = _ids(world, ROOT, category="in_progress", as_of=today_iso(-10))
    assert listed["overdue"] in earlier
    # Before it was assigned, no task existed at all.
    assert _ids(world, ROOT, as_of=today_iso(-40)) == []


def test_filters_by_unit_role_subtree_and_deadline(world: World, listed: dict[str, int]) -> None:
    lead = world.unit_id("lead")
    led = _ids(world, ROOT, unit=lead, unit_role="lead")
    assert listed["coordinated"] not in led and listed["overdue"] in led
    assert _ids(world, ROOT, unit=lead, unit_role="coordinate") == []
    subtree = _ids(world, ROOT, unit=lead, include_subtree="true", unit_role="coordinate")
    assert subtree == [listed["coordinated"]]
    # Led from outside the subtree, coordinated within it: in the subtree's list too.
    everything = _ids(world, ROOT, unit=lead, include_subtree="true")
    assert listed["coordinated"] in everything and listed["overdue"] in everything
    assert _ids(world, ROOT, due_to=today_iso(0)) == [listed["overdue"]]
    issuer = _ids(world, ROOT, issuer=world.unit_id("issuer"))
    assert set(issuer) == set(listed.values())


def test_sorts_and_pages_with_a_total(world: World, listed: dict[str, int]) -> None:
    first = world.client.get(
        "/api/v1/tasks",
        params={"q": "danhmuc", "sort": "-id", "limit": 2},
        headers=world.headers(*ROOT),
    ).json()
    second = world.client.get(
        "/api/v1/tasks",
        params={"q": "danhmuc", "sort": "-id", "limit": 2, "offset": 2},
        headers=world.headers(*ROOT),
    ).json()
    assert first["total"] == second["total"] == 4
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(listed.values(), reverse=True)
    by_due = _ids(world, ROOT, sort="due_on")
    assert by_due[0] == listed["overdue"] and by_due[-1] == listed["standing"]


def test_a_user_lists_only_what_is_within_reach(world: World, listed: dict[str, int]) -> None:
    # The lead unit's child coordinates one task; it sees that one and nothing else.
    assert _ids(world, ("lead_child", Role.VIEWER)) == [listed["coordinated"]]
    # The other department leads that task; the issuer's child sees none of them.
    assert _ids(world, ("other", Role.OFFICER)) == [listed["coordinated"]]
    assert _ids(world, ("issuer_child", Role.LEADER)) == []
    # Asking for an out-of-reach unit's tasks filters, it does not leak.
    assert _ids(world, ("issuer_child", Role.LEADER), unit=world.unit_id("lead")) == []


def test_a_coordinating_unit_adds_a_contribution(world: World, listed: dict[str, int]) -> None:
    task_id = listed["coordinated"]
    response = world.client.post(
        f"/api/v1/tasks/{task_id}/progress",
        json={"version": 1, "content": "Đã gửi số liệu phối hợp", "percent": 10},
        headers=world.headers("lead_child", Role.OFFICER),
    )
    assert response.status_code == 201, response.text
    assert response.json()["unit_id"] == world.unit_id("lead_child")
    progress = world.client.get(
        f"/api/v1/tasks/{task_id}/progress", headers=world.headers("other", Role.VIEWER)
    ).json()
    assert progress[-1]["role"] == "coordinate"
    # A coordinator does not report completion: that is the lead unit's.
    refused = world.client.post(
        f"/api/v1/tasks/{task_id}/completion",
        json={"version": 2, "completed_on": today_iso(), "result": "Xong"},
        headers=world.headers("lead_child", Role.LEADER),
    )
    assert refused.status_code == 403


def test_an_admin_cannot_lock_themselves_out(world: World) -> None:
    admin = world.users[("root", Role.ADMIN)]
    response = world.client.patch(
        f"/api/v1/users/{admin.id}",
        json={"active": False},
        headers=world.headers("root", Role.ADMIN),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["code"] == "user.cannot_lock_self"


def test_the_app_refuses_the_default_secret_in_every_environment(tmp_path: Path) -> None:
    from api.app import create_app

    # An encryption key is given so that production's other requirement is met and the
    # secret is what is refused, whatever data/ holds in the working directory.
    encryption_key = Fernet.generate_key().decode()
    for environment in Environment:
        with pytest.raises(ValueError, match="NHIEMVU_SECRET_KEY"):
            Settings(
                environment=environment,
                secret_key=DEFAULT_SECRET,
                data_dir=tmp_path,
                encryption_keys=encryption_key,
            )
    without_key = Settings(environment=Environment.DEVELOPMENT, secret_key="", data_dir=tmp_path)
    with pytest.raises(ValueError, match="NHIEMVU_SECRET_KEY"):
        create_app(settings=without_key)


def test_user_add_creates_a_first_admin_who_can_log_in(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli
    from models.db import get_engine
    from settings import get_settings

    monkeypatch.setenv("NHIEMVU_DATABASE_URL", world.engine.url.render_as_string(False))
    monkeypatch.setenv("NHIEMVU_NEW_USER_PASSWORD", "quan-tri-vien-dau-tien")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(
            cli.app,
            [
                "user",
                "add",
                "quantri",
                "--unit",
                "ROOT",
                "--name",
                "Lê Quản Trị",
                "--role",
                "admin",
            ],
        )
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = world.client.post(
        "/api/v1/auth/token",
        data={"username": "quantri", "password": "quan-tri-vien-dau-tien"},
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"


def _sorted_as_the_list_says(items: list[dict[str, object]], sort: str) -> list[int]:
    """The ids in the order `sort` defines, computed here from the items' own fields."""

    def key(item: dict[str, object]) -> tuple[object, ...]:
        match sort.lstrip("-"):
            case "due_on":
                due = item["due_on_as_of"]
                return (due is None, due or "", item["id"])
            case "assigned_on":
                return (item["assigned_on"], item["id"])
            case "title":
                return (item["title"], item["id"])
        return (item["id"],)

    ordered = sorted(items, key=key, reverse=sort.startswith("-"))
    if sort == "-due_on":  # tasks without a deadline stay last either way
        ordered = [i for i in ordered if i["due_on_as_of"] is not None] + [
            i for i in ordered if i["due_on_as_of"] is None
        ]
    return [int(str(item["id"])) for item in ordered]


@pytest.mark.parametrize("sort", ["due_on", "-due_on", "assigned_on", "-assigned_on", "id", "-id"])
def test_every_sort_pages_through_the_same_tasks_once(
    world: World, listed: dict[str, int], sort: str
) -> None:
    """Over a subtree (led and coordinated tasks, one task found by both), pages of two give
    each task once, in the sort's order, with the same total; past the end, the total alone."""
    params = {"unit": world.unit_id("root"), "include_subtree": "true", "sort": sort}
    every = world.client.get(
        "/api/v1/tasks", params={**params, "limit": 200}, headers=world.headers(*ROOT)
    ).json()
    assert every["total"] == len(every["items"]) >= len(listed)
    assert [i["id"] for i in every["items"]] == _sorted_as_the_list_says(every["items"], sort)
    paged: list[int] = []
    for offset in range(0, every["total"] + 2, 2):
        page = world.client.get(
            "/api/v1/tasks",
            params={**params, "limit": 2, "offset": offset},
            headers=world.headers(*ROOT),
        ).json()
        assert page["total"] == every["total"]
        paged += [item["id"] for item in page["items"]]
    assert paged == [i["id"] for i in every["items"]]


def test_the_text_filter_ignores_diacritics_and_refuses_too_short_a_query(
    world: World, listed: dict[str, int]
) -> None:
    assert _ids(world, ROOT, q="DANHMUC qua han ve dat dai") == [listed["overdue"]]
    # The coordinating unit's name (Phòng Cải cách hành chính, Sở Nội vụ) finds its task.
    assert listed["coordinated"] in _ids(world, ROOT, q="cai cach hanh chinh")
    for path in ("/api/v1/tasks", "/api/v1/units", "/api/v1/documents"):
        refused = world.client.get(path, params={"q": "Sở"}, headers=world.headers(*ROOT))
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["detail"]
        assert (error["code"], error["field"]) == ("search.too_short", "q")
        assert error["message"] == "Từ khóa tìm kiếm cần ít nhất 3 ký tự"
    units = world.client.get(
        "/api/v1/units", params={"q": "so noi vu"}, headers=world.headers(*ROOT)
    ).json()
    assert {unit["code"] for unit in units} == {"LEAD", "LEAD-CHILD"}
