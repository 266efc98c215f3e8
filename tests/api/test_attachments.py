"""Attachments through the API, on both databases and both stores (files under the data folder,
rows in the database): upload, list and download within the task's reach, 404 outside it,
content checks, and nothing left behind by a refused, interrupted or failed upload."""

from __future__ import annotations

import hashlib
import io
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from models import Attachment, AttachmentContent, AttachmentKind, AuditEvent, Role
from models.db import make_engine
from settings import Environment, Settings
from tests import samples
from tests.api.conftest import TEST_SECRET, World, build_world, today_iso
from tests.conftest import BACKENDS, empty_database_url
from tests.servers import running_uvicorn
from tracking import attachments as attachments_service
from tracking import clock
from tracking.audit import SYSTEM

# Small enough that a file just over it is cheap to send.
MAX_BYTES = 256 * 1024
PDF_TYPE = "application/pdf"


@pytest.fixture(scope="module", params=["files", "database"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module", params=BACKENDS)
def attach_db_url(
    request: pytest.FixtureRequest, store: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A fresh database for each (backend, store): the world is built once in each."""
    return empty_database_url(request, tmp_path_factory.mktemp(f"attach-{store}"))


@pytest.fixture(scope="module")
def world(
    attach_db_url: str, store: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    settings = Settings(
        environment=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url=attach_db_url,
        data_dir=tmp_path_factory.mktemp("data"),
        attachment_store=store,
        attachment_max_bytes=MAX_BYTES,
    )
    engine = make_engine(attach_db_url)
    built = build_world(engine, settings)
    yield built
    built.client.close()
    engine.dispose()


# --- helpers -------------------------------------------------------------------------------


def stored_files(world: World) -> list[Path]:
    """Every file under the data folder's attachments/ (staging included)."""
    root = attachments_service.attachments_folder(world.settings)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def staged_parts(world: World) -> list[Path]:
    staging = attachments_service.staging_folder(world.settings)
    return sorted(staging.iterdir()) if staging.exists() else []


def count(world: World, model: Any) -> int:
    with world.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def version_of(world: World, task_id: int) -> int:
    response = world.client.get(
        f"/api/v1/tasks/{task_id}", headers=world.headers("lead", Role.OFFICER)
    )
    return int(response.json()["version"])


def progress(world: World, task_id: int) -> int:
    response = world.client.post(
        f"/api/v1/tasks/{task_id}/progress",
        json={"version": version_of(world, task_id), "content": "Đã rà soát 40 thủ tục"},
        headers=world.headers("lead", Role.OFFICER),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload(
    world: World,
    task_id: int,
    content: bytes,
    filename: str,
    *,
    who: tuple[str, Role] = ("lead", Role.OFFICER),
    **fields: Any,
) -> httpx.Response:
    return world.client.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data={key: str(value) for key, value in fields.items()},
        files={"file": (filename, content, "application/octet-stream")},
        headers=world.headers(*who),
    )


def nothing_changed(world: World, before: tuple[int, int, int, list[Path]]) -> None:
    assert (
        count(world, Attachment),
        count(world, AttachmentContent),
        world.audit_count(),
        stored_files(world),
    ) == before


def snapshot(world: World) -> tuple[int, int, int, list[Path]]:
    return (
        count(world, Attachment),
        count(world, AttachmentContent),
        world.audit_count(),
        stored_files(world),
    )


# --- upload, list, download within reach ---------------------------------------------------


def test_upload_list_and_download_within_reach(world: World, store: str) -> None:
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    version = version_of(world, task_id)
    events = world.audit_count()

    sent = upload(
        world,
        task_id,
        samples.PDF,
        "C:\\Users\\hoa\\..\\Báo cáo\u202e tiến   độ quý I.pdf",
        kind="progress",
        progress_id=progress_id,
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    # No folder, no right-to-left override, spaces collapsed, Vietnamese kept.
    assert body["name"] == "Báo cáo tiến độ quý I.pdf"
    assert (body["content_type"], body["size"], body["kind"]) == (
        PDF_TYPE,
        len(samples.PDF),
        "progress",
    )
    assert body["sha256"] == hashlib.sha256(samples.PDF).hexdigest()
    assert body["unit_id"] == world.unit_id("lead")
    assert version_of(world, task_id) == version + 1

    # Listed in the audit, in the same transaction.
    assert world.audit_count() == events + 1
    with world.session() as session:
        event = session.execute(
            select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)
        ).scalar_one()
    assert (event.action, event.entity_id) == ("task.attach", task_id)
    assert event.after is not None and event.after["attachment_id"] == body["id"]

    # Stored by a generated key, never by the uploader's name.
    with world.session() as session:
        row = session.get(Attachment, body["id"])
        assert row is not None and row.storage.value == store
        in_database = session.get(AttachmentContent, body["id"])
    files = stored_files(world)
    if store == "files":
        assert in_database is None
        assert [path.name for path in files if path.name == row.storage_key] == [row.storage_key]
        assert all("Báo" not in str(path) for path in files)
    else:
        assert in_database is not None and in_database.content == samples.PDF
        assert files == []
    assert staged_parts(world) == []

    # Everyone within reach lists and downloads it: the issuer, the lead's parent, a coordinator.
    for reader in [("issuer", Role.LEADER), ("root", Role.VIEWER), ("coord", Role.OFFICER)]:
        listed = world.client.get(
            f"/api/v1/tasks/{task_id}/attachments", headers=world.headers(*reader)
        )
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()] == [body["id"]]
        got = world.client.get(
            f"/api/v1/tasks/{task_id}/attachments/{body['id']}", headers=world.headers(*reader)
        )
        assert got.status_code == 200, got.text
        assert got.content == samples.PDF
        assert got.headers["content-type"] == PDF_TYPE
        assert got.headers["x-content-type-options"] == "nosniff"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment; ")
        assert f"filename*=UTF-8''{quote('Báo-cáo-tiến-độ-quý-I.pdf', safe='')}" in disposition
        assert 'filename="Bao-cao-tien-do-quy-I.pdf"' in disposition


def test_each_kind_and_type_goes_to_its_report_or_request(world: World) -> None:
    lead = world.headers("lead", Role.OFFICER)
    task_id = world.new_task()
    requested = world.client.post(
        f"/api/v1/tasks/{task_id}/extensions",
        json={
            "version": version_of(world, task_id),
            "proposed_due_on": today_iso(60),
            "reason": "Chờ ý kiến của Bộ",
        },
        headers=lead,
    )
    assert requested.status_code == 201, requested.text
    extension_id = requested.json()["id"]
    workbook = upload(
        world, task_id, samples.xlsx(), "Số liệu.xlsx", kind="extension", extension_id=extension_id
    )
    assert workbook.status_code == 201, workbook.text
    assert workbook.json()["content_type"].endswith("spreadsheetml.sheet")

    # A completion's documents go with the completion report, once it is made.
    early = upload(world, task_id, samples.docx(), "Báo cáo.docx", kind="completion")
    assert (early.status_code, early.json()["detail"][0]["code"]) == (409, "task.invalid_state")
    reported = world.client.post(
        f"/api/v1/tasks/{task_id}/completion",
        json={
            "version": version_of(world, task_id),
            "completed_on": (clock.today() - timedelta(days=1)).isoformat(),
            "result": "Đã ban hành Quyết định 12/QĐ-SNV",
        },
        headers=lead,
    )
    assert reported.status_code == 200, reported.text
    word = upload(world, task_id, samples.docx(), "Quyết định 12.docx", kind="completion")
    assert word.status_code == 201, word.text
    assert word.json()["content_type"].endswith("wordprocessingml.document")
    scan = upload(world, task_id, samples.image("JPEG"), "ảnh chụp.jpeg", kind="completion")
    assert (scan.status_code, scan.json()["content_type"], scan.json()["name"]) == (
        201,
        "image/jpeg",
        "ảnh chụp.jpeg",
    )
    # A PNG named .jpg is a PNG: the name gets the extension of what it is.
    png = upload(world, task_id, samples.image("PNG"), "ban-chup.jpg", kind="completion")
    assert (png.status_code, png.json()["content_type"], png.json()["name"]) == (
        201,
        "image/png",
        "ban-chup.jpg.png",
    )
    listed = world.client.get(f"/api/v1/tasks/{task_id}/attachments", headers=lead).json()
    assert [item["kind"] for item in listed] == [
        "extension",
        "completion",
        "completion",
        "completion",
    ]
    for item in listed:
        got = world.client.get(f"/api/v1/tasks/{task_id}/attachments/{item['id']}", headers=lead)
        assert got.headers["content-type"] == item["content_type"]
        assert len(got.content) == item["size"]
        assert item["sha256"] == hashlib.sha256(got.content).hexdigest()


# --- reach and who may upload ----------------------------------------------------------------


def test_outside_reach_is_404_and_reveals_nothing(world: World) -> None:
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    sent = upload(world, task_id, samples.PDF, "a.pdf", kind="progress", progress_id=progress_id)
    attachment_id = sent.json()["id"]
    other_task = world.new_task()
    before = snapshot(world)
    outsider = world.headers("other", Role.LEADER)
    for response in (
        world.client.get(f"/api/v1/tasks/{task_id}/attachments", headers=outsider),
        world.client.get(f"/api/v1/tasks/{task_id}/attachments/{attachment_id}", headers=outsider),
        upload(
            world,
            task_id,
            samples.PDF,
            "b.pdf",
            who=("other", Role.OFFICER),
            kind="progress",
            progress_id=progress_id,
        ),
        # The same answer as for a task that does not exist.
        world.client.get("/api/v1/tasks/999999/attachments", headers=outsider),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["detail"][0]["code"] == "task.not_found"
    # An attachment through another task's address: not found either.
    crossed = world.client.get(
        f"/api/v1/tasks/{other_task}/attachments/{attachment_id}",
        headers=world.headers("lead", Role.OFFICER),
    )
    assert (crossed.status_code, crossed.json()["detail"][0]["code"]) == (
        404,
        "attachment.not_found",
    )
    nothing_changed(world, before)


def test_only_who_may_make_the_report_attaches_to_it(world: World) -> None:
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    before = snapshot(world)
    refused = [
        # A viewer of the lead unit, the issuer's leader: they read, they do not report.
        upload(
            world,
            task_id,
            samples.PDF,
            "a.pdf",
            who=("lead", Role.VIEWER),
            kind="progress",
            progress_id=progress_id,
        ),
        upload(
            world, task_id, samples.PDF, "a.pdf", who=("issuer", Role.LEADER), kind="completion"
        ),
        # A coordinator contributes progress of its own, not to the lead's report.
        upload(
            world,
            task_id,
            samples.PDF,
            "a.pdf",
            who=("coord", Role.OFFICER),
            kind="progress",
            progress_id=progress_id,
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert refused[2].json()["detail"][0]["code"] == "attachment.not_own_report"
    # A coordinator attaches to its own contribution.
    contribution = world.client.post(
        f"/api/v1/tasks/{task_id}/progress",
        json={"version": version_of(world, task_id), "content": "Sở Tài chính đã bố trí kinh phí"},
        headers=world.headers("coord", Role.OFFICER),
    )
    assert contribution.status_code == 201, contribution.text
    own = upload(
        world,
        task_id,
        samples.PDF,
        "du-toan.pdf",
        who=("coord", Role.OFFICER),
        kind="progress",
        progress_id=contribution.json()["id"],
    )
    assert (own.status_code, own.json()["unit_id"]) == (201, world.unit_id("coord"))
    before = snapshot(world)
    wrong = upload(world, task_id, samples.PDF, "a.pdf", kind="progress", progress_id=999999)
    assert (wrong.status_code, wrong.json()["detail"][0]["field"]) == (422, "progress_id")
    missing = upload(world, task_id, samples.PDF, "a.pdf", kind="extension")
    assert (missing.status_code, missing.json()["detail"][0]["code"]) == (
        422,
        "attachment.target_missing",
    )
    nothing_changed(world, before)
    assert staged_parts(world) == []


# --- content checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (samples.EXECUTABLE, "bao-cao.pdf", "attachment.type_not_allowed"),
        (samples.EXECUTABLE, "setup.exe", "attachment.type_not_allowed"),
        (samples.HTML, "to-trinh.pdf", "attachment.type_not_allowed"),
        (samples.SVG, "so-do.pdf", "attachment.type_not_allowed"),
        (samples.zip_of_program(), "bao-cao.docx", "attachment.type_not_allowed"),
        (samples.docm(), "bao-cao.docx", "attachment.macros"),
        (b"", "rong.pdf", "attachment.empty"),
        (samples.PDF + b"0" * MAX_BYTES, "lon.pdf", "attachment.too_large"),
    ],
    ids=["exe-as-pdf", "exe", "html-as-pdf", "svg-as-pdf", "zip", "docm", "empty", "too-large"],
)
def test_a_disguised_or_bad_file_is_refused_and_changes_nothing(
    world: World, content: bytes, filename: str, code: str
) -> None:
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    version = version_of(world, task_id)
    before = snapshot(world)
    refused = upload(world, task_id, content, filename, kind="progress", progress_id=progress_id)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert (error["code"], error["field"]) == (code, "file")
    assert error["message"]  # Vietnamese text for people
    nothing_changed(world, before)
    assert staged_parts(world) == []
    assert version_of(world, task_id) == version


# --- nothing left behind ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[int]:
    """The app behind a real uvicorn (the same database and data folder)."""
    with running_uvicorn(world.client.app) as port:
        yield port


def test_an_upload_interrupted_midway_leaves_nothing(world: World, server: int) -> None:
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    before = snapshot(world)
    boundary = "----nhiemvu-interrupted"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="kind"\r\n\r\nprogress\r\n'
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="progress_id"\r\n\r\n{progress_id}\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="bao-cao.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    # A body announced at 2 MB, cut after 1.5 MB: past the 1 MB Starlette keeps in memory, so
    # the part being received had spilled to a temporary file.
    announced = 2 * 1024 * 1024
    sent_part = samples.PDF + b"%" * (1536 * 1024)
    total = len(head) + announced + len(f"\r\n--{boundary}--\r\n")
    request = (
        f"POST /api/v1/tasks/{task_id}/attachments HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server}\r\n"
        f"Authorization: {world.headers('lead', Role.OFFICER)['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {total}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as connection:
        connection.sendall(request + head + sent_part)
        # No answer yet: the server accepted the request and waits for the rest of the body
        # (it refused nothing early) when the client goes away.
        connection.settimeout(1.0)
        with pytest.raises(TimeoutError):
            connection.recv(1)
    # The server still serves, and a whole upload after it is the task's only attachment.
    with httpx.Client(base_url=f"http://127.0.0.1:{server}/api/v1", timeout=30) as client:
        complete = client.post(
            f"/tasks/{task_id}/attachments",
            data={"kind": "progress", "progress_id": str(progress_id)},
            files={"file": ("bao-cao.pdf", samples.PDF, PDF_TYPE)},
            headers=world.headers("lead", Role.OFFICER),
        )
    assert complete.status_code == 201, complete.text
    with world.session() as session:
        rows = session.execute(
            select(col(Attachment.id)).where(Attachment.task_id == task_id)
        ).all()
    assert len(rows) == 1
    assert count(world, Attachment) == before[0] + 1
    assert world.audit_count() == before[2] + 1
    assert staged_parts(world) == []


class BrokenConnection(OSError):
    """What reading an upload raises when its client goes away mid-file."""


class CutStream:
    """An upload source that yields `good` bytes, then fails like a dropped connection."""

    def __init__(self, good: bytes) -> None:
        self.remaining = good

    def read(self, size: int = -1) -> bytes:
        if not self.remaining:
            raise BrokenConnection("connection reset by peer")
        chunk, self.remaining = self.remaining[:size], self.remaining[size:]
        return chunk


def test_a_stream_cut_while_staging_leaves_nothing(world: World) -> None:
    before = snapshot(world)
    source = CutStream(samples.PDF + b"%" * 150_000)
    with pytest.raises(BrokenConnection), attachments_service.Uploads.of(world.settings) as uploads:
        uploads.receive(source=source, filename="bao-cao.pdf")
    nothing_changed(world, before)
    assert staged_parts(world) == []


def fail_at_commit(session: Session, world: World) -> None:
    """Make the database itself refuse this transaction's COMMIT: PostgreSQL's server process
    of the session is ended from another connection; SQLite checks foreign keys at commit
    (defer_foreign_keys) and this transaction now holds a row that breaks one."""
    if world.engine.dialect.name == "postgresql":
        pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with world.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
    else:
        session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        session.execute(
            sa.text(
                "INSERT INTO taskassignment (task_id, unit_id, role, assigned_on) "
                "VALUES (999999, 999999, 'lead', '2026-01-02')"
            )
        )


def test_a_database_failure_after_the_file_is_placed_leaves_nothing(world: World) -> None:
    """The row and the bytes are in place, then the database refuses the commit."""
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    before = snapshot(world)
    with world.session() as session:
        with (
            pytest.raises(sa.exc.DBAPIError),
            attachments_service.Uploads.of(world.settings) as uploads,
        ):
            staged = uploads.receive(source=io.BytesIO(samples.PDF), filename="bao-cao.pdf")
            attachments_service.attach(
                session=session,
                actor=SYSTEM,
                uploads=uploads,
                staged=staged,
                task_id=task_id,
                kind=AttachmentKind.PROGRESS,
                progress_id=progress_id,
            )
            # The bytes are where the row says: a file placed, or a row of this transaction.
            if world.settings.attachment_store == "files":
                assert len(stored_files(world)) == len(before[3]) + 1
            else:
                assert session.get(AttachmentContent, staged_id(session)) is not None
            fail_at_commit(session, world)
            uploads.commit(session)
        session.rollback()
    nothing_changed(world, before)
    assert staged_parts(world) == []


def staged_id(session: Session) -> int:
    return int(session.execute(select(func.max(Attachment.id))).scalar_one())


def test_the_sweep_removes_what_a_crash_left_and_keeps_the_rest(world: World) -> None:
    """A crash after the rename and before the commit leaves a file no row names; a crash
    while staging leaves a part. The sweep removes both once older than the grace period."""
    task_id = world.new_task()
    progress_id = progress(world, task_id)
    kept = upload(
        world, task_id, samples.PDF, "giu-lai.pdf", kind="progress", progress_id=progress_id
    )
    assert kept.status_code == 201
    files_before = stored_files(world)
    store = attachments_service.FileStore(
        root=attachments_service.attachments_folder(world.settings)
    )
    # What a crashed process left (no Uploads block to clean up after it).
    staging = attachments_service.staging_folder(world.settings)
    staging.mkdir(parents=True, exist_ok=True)
    part = staging / "0123456789abcdef0123456789abcdef.part"
    part.write_bytes(samples.PDF[:100])
    orphan = store.path_of("fedcba9876543210fedcba9876543210")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(samples.PDF)
    with world.session() as session:
        # Within the grace period nothing is touched: an upload may be in flight.
        young = attachments_service.sweep(session=session, settings=world.settings)
        assert (young.staged_removed, young.orphans_removed) == (0, 0)
        later = time.time() + 2 * 3600
        swept = attachments_service.sweep(session=session, settings=world.settings, now=later)
    assert (swept.staged_removed, swept.orphans_removed) == (1, 1)
    assert not part.exists() and not orphan.exists()
    assert stored_files(world) == files_before
    got = world.client.get(
        f"/api/v1/tasks/{task_id}/attachments/{kept.json()['id']}",
        headers=world.headers("lead", Role.OFFICER),
    )
    assert got.content == samples.PDF
