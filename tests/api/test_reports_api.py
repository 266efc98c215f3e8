"""Reports over HTTP on the seed world: draft Lý Sơn's 2021 report on Plan 61, write its
texts, regenerate, issue it as 555/BC-UBND and download every format; indicator imports with
bad rows import nothing and list every bad row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.app import create_app
from api.auth import create_access_token
from models import AuditEvent, Role, User
from models.reports import Indicator, IndicatorValue
from reports import demo as report_demo
from reports import pdf
from reports import service as report_service
from reports.render_docx import docx_text
from settings import Environment, Settings
from tests.api.conftest import SETUP, TEST_SECRET, World
from tests.world import seed_world
from tracking import plans as plans_service
from tracking import units as units_service


@dataclass
class Seed:
    client: TestClient
    engine: Engine
    district_id: int
    plan_id: int
    tokens: dict[str, str]

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def seed(engine: Engine, db_url: str) -> Iterator[Seed]:
    settings = Settings(environment=Environment.TEST, secret_key=TEST_SECRET, database_url=db_url)
    with Session(engine, expire_on_commit=False) as session:
        world = seed_world(session)
        users = session.exec(select(User)).all()
        tokens = {u.username: create_access_token(user=u, settings=settings)[0] for u in users}
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        yield Seed(client, engine, world.district.id or 0, world.plan.id or 0, tokens)


def test_draft_edit_issue_and_download_the_seed_report(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, leader = seed.client, seed.as_("ninh.lv")  # Phó Chủ tịch UBND huyện Lý Sơn
    kinds = client.get("/api/v1/report-kinds", headers=leader).json()
    assert "year" in {k["code"] for k in kinds}
    periods = client.get(
        "/api/v1/report-kinds/year/periods", params={"year": 2021}, headers=leader
    ).json()
    assert periods[0]["code"] == "2021" and periods[0]["end"] == "2021-12-14"

    later = ("shortcomings", "recommendations", "orientation_title", "orientation")
    first_texts = {k: v for k, v in report_demo.TEXTS.items() if k not in later}
    created = client.post(
        "/api/v1/reports",
        headers=leader,
        json={
            "kind": "year",
            "period": "2021",
            "unit_id": seed.district_id,
            "plan_id": seed.plan_id,
            "as_of": "2021-11-02",
            "issuer_code": "UBND",
            "texts": first_texts,
        },
    )
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["state"] == "draft" and report["symbol"] is None
    url = f"/api/v1/reports/{report['id']}"

    # Not issuable yet: the three sections the office must write are missing.
    early = client.post(f"{url}/issue", json={"version": report["version"]}, headers=leader)
    assert early.status_code == 422
    assert early.json()["detail"][0]["code"] == "report.texts_missing"

    edited = client.patch(
        f"{url}/texts",
        headers=leader,
        json={
            "version": report["version"],
            "texts": {k: report_demo.TEXTS[k] for k in later},
        },
    )
    assert edited.status_code == 200, edited.text
    report = edited.json()
    assert report["texts"]["shortcomings"].startswith("1. Các trang thiết bị")
    assert report["texts"]["intro"] == first_texts["intro"]  # untouched sections stay
    stale = client.patch(
        f"{url}/texts",
        headers=leader,
        json={"version": report["version"] - 1, "texts": {"closing": "x"}},
    )
    assert stale.status_code == 409
    regenerated = client.post(
        f"{url}/regenerate", json={"version": report["version"]}, headers=leader
    )
    assert regenerated.status_code == 200, regenerated.text
    report = regenerated.json()

    # The district's office (Văn phòng) follows the district's work and reads it; one of its
    # rooms (a child unit) and a department of the province (a sibling) see nothing.
    assert client.get(url, headers=seed.as_("vp.lyson")).status_code == 200
    assert client.get(url, headers=seed.as_("vhtt.lyson")).status_code == 404
    assert client.get(url, headers=seed.as_("stttt")).status_code == 404
    assert client.get(url, headers=seed.as_("admin")).status_code == 200
    listed = client.get(
        "/api/v1/reports", params={"unit_id": seed.district_id, "year": 2021}, headers=leader
    ).json()
    assert report["id"] in {r["id"] for r in listed}

    with Session(seed.engine) as session:  # the register of outgoing documents is at 555
        report_service.set_next_number(
            session=session, actor=SETUP, unit_id=seed.district_id, year=2021, next_number=555
        )
        session.commit()
    issued = client.post(
        f"{url}/issue",
        headers=leader,
        json={"version": report["version"], "issued_on": "2021-11-02"},
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["symbol"] == "555/BC-UBND" and issued.json()["state"] == "issued"

    docx = client.get(f"{url}/files/docx", headers=leader)
    assert docx.status_code == 200
    assert docx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "bao-cao-555-BC-UBND.docx" in docx.headers["content-disposition"]
    text = docx_text(docx.content)
    assert "Số: 555/BC-UBND" in text
    assert "Lý Sơn, ngày 02 tháng 11 năm 2021" in text
    assert "Tồn tại, hạn chế" in text or "TỒN TẠI, HẠN CHẾ" in text.upper()
    markdown = client.get(f"{url}/files/md", headers=leader)
    assert markdown.status_code == 200 and "555/BC-UBND" in markdown.text
    xlsx = client.get(f"{url}/files/xlsx", headers=leader)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    frozen = client.patch(
        f"{url}/texts",
        headers=leader,
        json={"version": issued.json()["version"], "texts": {"closing": "x"}},
    )
    assert frozen.status_code == 409 and frozen.json()["detail"][0]["code"] == "report.issued"

    monkeypatch.setattr(pdf, "libreoffice_binary", lambda: None)
    no_pdf = client.get(f"{url}/files/pdf", headers=leader)
    assert no_pdf.status_code == 501
    assert no_pdf.json()["detail"][0]["code"] == "report.pdf_unavailable"
    unknown = client.get(f"{url}/files/odt", headers=leader)
    assert unknown.status_code == 422


def _audit_count(world: World) -> int:
    with world.session() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_indicator_imports_with_bad_rows_import_nothing_and_list_every_row(world: World) -> None:
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title="Kế hoạch chuyển đổi số năm 2025",
            issuer=units_service.get(session=session, unit_id=world.unit_id("issuer")),
        )
        session.commit()
    client, headers = world.client, world.headers("issuer", Role.OFFICER)
    url = f"/api/v1/plans/{plan.id}/indicators"
    bad = (
        "code,name,unit_of_measure,target,aggregation\n"
        "DVC,Dịch vụ công trực tuyến,%,100,avg\n"
        "HS,Hồ sơ tiếp nhận,hồ sơ,nhiều,sum\n"
        "1X,Mã sai,,,sum\n"
        "DVC,Trùng mã,%,,avg\n"
        "KS,Ký số,%,100,median\n"
    )
    before = _audit_count(world)
    rejected = client.post(
        f"{url}/import", headers=headers, files={"file": ("chi-tieu.csv", bad.encode(), "text/csv")}
    )
    assert rejected.status_code == 422, rejected.text
    detail = rejected.json()["detail"]
    assert [(d["row"], d["field"]) for d in detail] == [
        (3, "target"),
        (4, "code"),
        (5, "code"),
        (6, "aggregation"),
    ]
    assert all(d["message"] for d in detail)
    assert client.get(url, headers=headers).json() == []
    assert _audit_count(world) == before

    good = "code,name,unit_of_measure,target,aggregation\nDVC,Dịch vụ công trực tuyến,%,100,avg\n"
    imported = client.post(
        f"{url}/import",
        headers=headers,
        files={"file": ("chi-tieu.csv", good.encode(), "text/csv")},
    )
    assert imported.status_code == 201 and imported.json()["count"] == 1
    [indicator] = client.get(url, headers=headers).json()

    values = (
        "indicator_code,unit_code,period_kind,period_code,value,reported_on\n"
        "DVC,LEAD,year,2024,95,01/11/2024\n"
        "KHONG_CO,LEAD,year,2024,5,01/11/2024\n"
        "DVC,KHONG-CO,year,2024,5,01/11/2024\n"
        "DVC,LEAD,year,2024,120,01/11/2024\n"
        "DVC,LEAD,year,2024,5,31/02/2024\n"
    )
    rejected = client.post(
        f"/api/v1/plans/{plan.id}/indicator-values/import",
        headers=headers,
        files={"file": ("so-lieu.csv", values.encode(), "text/csv")},
    )
    assert rejected.status_code == 422
    rows = [(d["row"], d["field"]) for d in rejected.json()["detail"]]
    assert rows == [(3, "indicator_code"), (4, "unit_code"), (5, "value"), (6, "reported_on")]
    with world.session() as session:
        assert (
            session.exec(
                select(IndicatorValue).where(IndicatorValue.indicator_id == indicator["id"])
            ).all()
            == []
        )
        assert session.get(Indicator, indicator["id"]) is not None

    # One value by the reporting unit itself; its sibling neither writes nor reads it.
    recorded = client.post(
        f"/api/v1/indicators/{indicator['id']}/values",
        headers=world.headers("lead", Role.OFFICER),
        json={
            "unit_id": world.unit_id("lead"),
            "period_kind": "year",
            "period_code": "2024",
            "value": 97.5,
            "reported_on": "2024-11-01",
        },
    )
    assert recorded.status_code == 201, recorded.text
    listed = f"/api/v1/indicators/{indicator['id']}/values"
    assert [v["value"] for v in client.get(listed, headers=headers).json()] == [97.5]
    assert client.get(listed, headers=world.headers("other", Role.LEADER)).json() == []
