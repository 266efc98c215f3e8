"""Attachments on progress reports, completion reports and extension requests.

A file is accepted for what its content is, never for its name: PDF, DOCX, XLSX (Office Open
XML packages whose [Content_Types].xml names a Word document or an Excel workbook; macro-enabled
ones are refused), PNG or JPEG. Its name is cleaned and given the extension of the type found.

An upload never leaves half of itself behind (docs/design.md, "Attachments"):
1. the bytes are copied into `<data_dir>/attachments/.staging/<random>.part`, counted as they
   come, and refused beyond `attachment_max_bytes`; then their type is checked;
2. in the caller's transaction the row and its audit event are written and the task's version
   steps; last, the store places the bytes: a file store renames the staged file to
   `<data_dir>/attachments/<key[:2]>/<key>` (the key is random, never the uploader's name), a
   database store inserts them into `attachmentcontent` and deletes the staged file;
3. the caller commits. If the commit fails the placed file is removed again (`Uploads`).
A crash can leave a staged part (before step 3) or a placed file whose row never committed
(between the rename and the commit); neither is ever read, and `sweep` removes both once
they are older than an hour. The row is committed only after its bytes are in place, so a
committed row always has its bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol
from xml.etree import ElementTree

from sqlmodel import Session, col, select

from models import (
    Attachment,
    AttachmentContent,
    AttachmentKind,
    AttachmentStorage,
    ExtensionRequest,
    ExtensionStatus,
    ProgressUpdate,
    Role,
    Task,
    TaskState,
)
from models.db import in_chunks
from settings import Settings
from tracking import tasks as tasks_service
from tracking import versioning
from tracking.access import Principal, TaskAction, task_for
from tracking.audit import Actor, record
from tracking.errors import Conflict, Forbidden, InvalidInput, NotFound, get_or_not_found
from tracking.tasks import STATE_LABELS, STATE_RULES, TaskChange

CHUNK_BYTES = 64 * 1024
FOLDER = "attachments"
STAGING = ".staging"
# A staged part or an unreferenced file younger than this may belong to an upload in flight.
SWEEP_GRACE = timedelta(hours=1)
MAX_NAME = 150
FALLBACK_STEM = "tep-dinh-kem"
# Bounds on what is read of an Office package before deciding what it is.
MAX_PACKAGE_ENTRIES = 5000
MAX_CONTENT_TYPES_BYTES = 256 * 1024


# --- What a file is -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str
    # Other extensions people give files of this type.
    aliases: frozenset[str] = frozenset()


PDF = FileType("application/pdf", "pdf", "PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word"
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"
)
PNG = FileType("image/png", "png", "ảnh PNG")
JPEG = FileType("image/jpeg", "jpg", "ảnh JPEG", frozenset({"jpeg"}))

ALLOWED_LABEL = "PDF, Word (DOCX), Excel (XLSX), ảnh PNG hoặc JPEG"
# The main part of the packages accepted, as [Content_Types].xml declares it, and the folder
# that part lives in.
OFFICE_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        DOCX,
        "word/",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (XLSX, "xl/"),
}
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP_SIGNATURE = b"PK\x03\x04"
_PATH_SEPARATORS = re.compile(r"[\\/]")


def _not_allowed() -> InvalidInput:
    return InvalidInput(
        "attachment.type_not_allowed",
        f"Tệp phải là {ALLOWED_LABEL}; hệ thống kiểm tra nội dung tệp, không dựa vào tên tệp",
        field="file",
    )


def _macros() -> InvalidInput:
    return InvalidInput(
        "attachment.macros",
        "Tệp Word/Excel có macro (DOCM, XLSM) không được nhận: hãy lưu lại dưới dạng DOCX "
        "hoặc XLSX",
        field="file",
    )


def detect_type(path: Path) -> FileType:
    """The type of the file's content, or InvalidInput (field "file") when it is none of the
    accepted ones: a renamed program, an HTML page or an SVG named .pdf are refused here."""
    with path.open("rb") as file:
        head = file.read(8)
    for signature, file_type in _SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head.startswith(_ZIP_SIGNATURE):
        return _office_type(path)
    raise _not_allowed()


def _office_type(path: Path) -> FileType:
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            if len(entries) > MAX_PACKAGE_ENTRIES:
                raise _not_allowed()
            names = [entry.filename for entry in entries]
            if any("vbaproject" in name.lower() for name in names):
                raise _macros()
            manifest = package.getinfo("[Content_Types].xml")
            if manifest.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _not_allowed()
            declared = package.read(manifest)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        raise _not_allowed() from None
    # An Office manifest has no DTD; refusing one keeps entity expansion out of the parser.
    if b"<!DOCTYPE" in declared or b"<!ENTITY" in declared:
        raise _not_allowed()
    try:
        root = ElementTree.fromstring(declared)
    except ElementTree.ParseError:
        raise _not_allowed() from None
    content_types = {element.get("ContentType", "") for element in root.iter()}
    if any("macroenabled" in value.lower() for value in content_types):
        raise _macros()
    found = {OFFICE_MAIN_PARTS[value] for value in content_types if value in OFFICE_MAIN_PARTS}
    if len(found) != 1:
        raise _not_allowed()
    ((file_type, folder),) = found
    if not any(name.startswith(folder) for name in names):
        raise _not_allowed()
    return file_type


def clean_name(raw: str, file_type: FileType) -> str:
    """The uploader's file name, safe to show and store: no folder part, no control or
    formatting characters (a right-to-left override could hide the real extension), spaces
    collapsed, at most MAX_NAME characters, Vietnamese letters kept; it ends with the
    extension of the type found in the content ("to-trinh.exe" of a PDF: "to-trinh.exe.pdf")."""
    name = _PATH_SEPARATORS.split(unicodedata.normalize("NFC", raw))[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).strip(" .-")
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in {file_type.extension, *file_type.aliases}:
        name, extension = stem.rstrip(" .-"), extension.lower()
    else:
        extension = file_type.extension
    keep = MAX_NAME - len(extension) - 1
    return f"{name[:keep].rstrip(' .-') or FALLBACK_STEM}.{extension}"


# --- Where the bytes live ----------------------------------------------------------------------


class AttachmentStore(Protocol):
    """Keeps the bytes of attachments; one implementation per `AttachmentStorage`."""

    @property
    def storage(self) -> AttachmentStorage:
        """What the rows it writes say in `attachment.storage`."""

    def place(self, *, session: Session, attachment: Attachment, staged: Path) -> None:
        """Move the checked, staged bytes to where `attachment` (flushed, not committed) says,
        as the last step of the caller's transaction; the staged file is consumed."""

    def discard(self, *, attachment: Attachment) -> None:
        """Undo `place` when the transaction did not commit."""

    def open(self, *, session: Session, attachment: Attachment) -> BinaryIO:
        """The bytes of a committed attachment, for reading."""

    def remove_orphans(self, *, session: Session, older_than: float) -> int:
        """Remove bytes no committed row refers to, last changed before `older_than` (a
        time.time() instant); how many."""


def attachments_folder(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def staging_folder(settings: Settings) -> Path:
    return attachments_folder(settings) / STAGING


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class FileStore:
    """Files under `<data_dir>/attachments/<key[:2]>/<key>`, on the same file system as the
    staging folder, so placing one is an atomic rename."""

    root: Path
    storage: AttachmentStorage = AttachmentStorage.FILES

    def path_of(self, key: str) -> Path:
        return self.root / key[:2] / key

    def place(self, *, session: Session, attachment: Attachment, staged: Path) -> None:
        target = self.path_of(attachment.storage_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        _sync_folder(target.parent)

    def discard(self, *, attachment: Attachment) -> None:
        self.path_of(attachment.storage_key).unlink(missing_ok=True)

    def open(self, *, session: Session, attachment: Attachment) -> BinaryIO:
        return self.path_of(attachment.storage_key).open("rb")

    def stored_keys(self) -> Iterator[Path]:
        """Every placed file (the staging folder and anything else are not keys)."""
        for shard in self.root.glob("??"):
            if shard.is_dir() and not shard.name.startswith("."):
                yield from (path for path in shard.iterdir() if path.is_file())

    def remove_orphans(self, *, session: Session, older_than: float) -> int:
        old = {path.name: path for path in self.stored_keys() if path.stat().st_mtime < older_than}
        referenced: set[str] = set()
        for keys in in_chunks(values=old):
            referenced.update(
                session.exec(
                    select(Attachment.storage_key).where(col(Attachment.storage_key).in_(keys))
                ).all()
            )
        removed = 0
        for key, path in old.items():
            if key not in referenced:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


@dataclass(frozen=True)
class DatabaseStore:
    """Rows of `attachmentcontent`, written in the same transaction as the attachment: what
    several API processes on different machines see alike."""

    storage: AttachmentStorage = AttachmentStorage.DATABASE

    def place(self, *, session: Session, attachment: Attachment, staged: Path) -> None:
        session.add(
            AttachmentContent(attachment_id=attachment.id or 0, content=staged.read_bytes())
        )
        session.flush()
        staged.unlink()

    def discard(self, *, attachment: Attachment) -> None:
        """Nothing outside the transaction: its rollback removed the row."""

    def open(self, *, session: Session, attachment: Attachment) -> BinaryIO:
        row = get_or_not_found(
            session,
            AttachmentContent,
            attachment.id or 0,
            entity="attachment",
            noun="tệp đính kèm",
        )
        return io.BytesIO(row.content)

    def remove_orphans(self, *, session: Session, older_than: float) -> int:
        return 0  # a row's bytes commit or roll back with it


def store_for(storage: AttachmentStorage, settings: Settings) -> AttachmentStore:
    if storage == AttachmentStorage.DATABASE:
        return DatabaseStore()
    return FileStore(root=attachments_folder(settings))


def configured_store(settings: Settings) -> AttachmentStore:
    """The store new uploads go to (NHIEMVU_ATTACHMENT_STORE)."""
    return store_for(AttachmentStorage(settings.attachment_store), settings)


# --- One request's uploads ---------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """An upload received into the staging folder and checked."""

    path: Path
    name: str
    file_type: FileType
    size: int
    sha256: str


@dataclass
class Uploads:
    """The files of one request. `receive` stages and checks one, `attach` places it; leaving
    the block removes every staged part still there and, unless `commit` succeeded, every
    file placed (so a refused or failed request leaves no file and, having rolled back, no
    row)."""

    store: AttachmentStore
    staging: Path
    max_bytes: int
    _parts: list[Path] = field(default_factory=list)
    _placed: list[Attachment] = field(default_factory=list)

    @classmethod
    def of(cls, settings: Settings) -> Uploads:
        return cls(
            store=configured_store(settings),
            staging=staging_folder(settings),
            max_bytes=settings.attachment_max_bytes,
        )

    def __enter__(self) -> Uploads:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for attachment in self._placed:
            self.store.discard(attachment=attachment)
        for part in self._parts:
            part.unlink(missing_ok=True)

    def receive(self, *, source: BinaryIO, filename: str) -> Staged:
        """Copy an upload into the staging folder, refusing it as soon as it passes
        `max_bytes`, then check what it is; InvalidInput (field "file") removes the part."""
        self.staging.mkdir(parents=True, exist_ok=True)
        part = self.staging / f"{uuid.uuid4().hex}.part"
        self._parts.append(part)
        digest = hashlib.sha256()
        size = 0
        try:
            with part.open("xb") as target:
                while chunk := source.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise InvalidInput(
                            "attachment.too_large",
                            f"Tệp lớn hơn giới hạn {self.max_bytes / (1024 * 1024):g} MB",
                            field="file",
                        )
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            if size == 0:
                raise InvalidInput("attachment.empty", "Tệp rỗng, không có nội dung", field="file")
            file_type = detect_type(part)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return Staged(
            path=part,
            name=clean_name(filename, file_type),
            file_type=file_type,
            size=size,
            sha256=digest.hexdigest(),
        )

    def place(self, *, session: Session, attachment: Attachment, staged: Path) -> None:
        self._placed.append(attachment)
        self.store.place(session=session, attachment=attachment, staged=staged)

    def commit(self, session: Session) -> None:
        """Commit the request's transaction; from then on its placed files stay."""
        session.commit()
        self._placed.clear()


# --- Use cases -------------------------------------------------------------------------------

# Who may attach a file to what: whoever may make that report or request.
ATTACH_ACTIONS: dict[AttachmentKind, TaskAction] = {
    AttachmentKind.PROGRESS: TaskAction.CONTRIBUTE,
    AttachmentKind.COMPLETION: TaskAction.REPORT,
    AttachmentKind.EXTENSION: TaskAction.REPORT,
}
KIND_LABELS = {
    AttachmentKind.PROGRESS: "Báo cáo tiến độ",
    AttachmentKind.COMPLETION: "Báo cáo hoàn thành",
    AttachmentKind.EXTENSION: "Đề nghị gia hạn",
}


def authorize_attach(
    *, session: Session, principal: Principal, task_id: int, kind: AttachmentKind
) -> Task:
    """The task, if the principal may make the report or request the file goes with; NotFound
    outside their reach (nothing about the task is revealed), Forbidden inside it."""
    task, _, _ = task_for(
        session=session, principal=principal, task_id=task_id, action=ATTACH_ACTIONS[kind]
    )
    return task


def _target_ids(kind: AttachmentKind, progress_id: int | None, extension_id: int | None) -> None:
    expected = {
        "progress_id": kind == AttachmentKind.PROGRESS,
        "extension_id": kind == AttachmentKind.EXTENSION,
    }
    for name, value in (("progress_id", progress_id), ("extension_id", extension_id)):
        if expected[name] and value is None:
            raise InvalidInput(
                "attachment.target_missing",
                f"Chọn {KIND_LABELS[kind].lower()} mà tệp đính kèm theo",
                field=name,
            )
        if not expected[name] and value is not None:
            raise InvalidInput(
                "attachment.target_mismatch",
                f"Tệp đính kèm {KIND_LABELS[kind].lower()} không đi kèm trường này",
                field=name,
            )


def _check_target(
    session: Session,
    actor: Actor,
    task: Task,
    kind: AttachmentKind,
    progress_id: int | None,
    extension_id: int | None,
) -> int:
    """Refuse a file for a report or request that is not this task's, not the actor's unit's,
    or no longer open to it; the unit whose report or request it is."""
    _target_ids(kind, progress_id, extension_id)
    if kind == AttachmentKind.PROGRESS:
        progress = session.get(ProgressUpdate, progress_id)
        if progress is None or progress.task_id != task.id:
            raise NotFound(
                "progress.not_found",
                f"Không tìm thấy báo cáo tiến độ #{progress_id} của nhiệm vụ này",
                field="progress_id",
            )
        own = actor.role == Role.ADMIN or actor.user_id is None or progress.unit_id == actor.unit_id
        if not own:
            raise Forbidden(
                "attachment.not_own_report",
                "Chỉ đơn vị đã gửi báo cáo tiến độ này mới được đính kèm tệp vào đó",
                field="progress_id",
            )
        _open_to(task, STATE_RULES[TaskChange.PROGRESS].states, "đính kèm tệp vào báo cáo tiến độ")
        return progress.unit_id
    if kind == AttachmentKind.COMPLETION:
        _open_to(task, frozenset({TaskState.SUBMITTED}), "đính kèm hồ sơ hoàn thành")
        return task.lead_unit_id
    request = session.get(ExtensionRequest, extension_id)
    if request is None or request.task_id != task.id:
        raise NotFound(
            "extension.not_found",
            f"Không tìm thấy đề nghị gia hạn #{extension_id} của nhiệm vụ này",
            field="extension_id",
        )
    if request.status != ExtensionStatus.REQUESTED:
        raise Conflict(
            "attachment.extension_decided",
            "Đề nghị gia hạn này đã được quyết định: không đính kèm thêm tệp",
            field="extension_id",
        )
    return task.lead_unit_id


def _open_to(task: Task, states: frozenset[TaskState], action: str) -> None:
    if task.state not in states:
        raise Conflict(
            "task.invalid_state",
            f"Không thể {action} khi nhiệm vụ đang ở trạng thái «{STATE_LABELS[task.state]}»",
            field="state",
        )


def attach(
    *,
    session: Session,
    actor: Actor,
    uploads: Uploads,
    staged: Staged,
    task_id: int,
    kind: AttachmentKind,
    progress_id: int | None = None,
    extension_id: int | None = None,
) -> Attachment:
    """Record a checked upload against a progress report, the completion report or a pending
    extension request of the task, step the task's version (so a concurrent confirmation or
    decision makes one of the two a 409), audit it, and place the bytes last. The caller
    commits with `uploads.commit(session)`."""
    task = tasks_service.get(session=session, task_id=task_id)
    unit_id = _check_target(session, actor, task, kind, progress_id, extension_id)
    versioning.bump_version(versioning.TASK, session=session, row=task)
    attachment = Attachment(
        task_id=task_id,
        kind=kind,
        progress_id=progress_id,
        extension_id=extension_id,
        name=staged.name,
        content_type=staged.file_type.content_type,
        size=staged.size,
        sha256=staged.sha256,
        storage=uploads.store.storage,
        storage_key=uuid.uuid4().hex,
        unit_id=unit_id,
        uploaded_by_id=actor.user_id,
    )
    session.add(attachment)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="task.attach",
        entity="task",
        entity_id=task_id,
        after={
            "attachment_id": attachment.id,
            "kind": kind.value,
            "progress_id": progress_id,
            "extension_id": extension_id,
            "name": attachment.name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "version": task.version,
        },
    )
    uploads.place(session=session, attachment=attachment, staged=staged.path)
    return attachment


def for_task(*, session: Session, task_id: int) -> list[Attachment]:
    statement = select(Attachment).where(Attachment.task_id == task_id).order_by(col(Attachment.id))
    return list(session.exec(statement).all())


def get(*, session: Session, task_id: int, attachment_id: int) -> Attachment:
    """The task's attachment; another task's is as unknown as a missing one."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.task_id != task_id:
        raise NotFound(
            "attachment.not_found",
            f"Không tìm thấy tệp đính kèm #{attachment_id}",
            field="attachment_id",
        )
    return attachment


def open_content(*, session: Session, settings: Settings, attachment: Attachment) -> BinaryIO:
    """The bytes, from the store the row names (rows written before the setting changed are
    still read where they were put)."""
    return store_for(attachment.storage, settings).open(session=session, attachment=attachment)


@dataclass(frozen=True)
class SweepResult:
    staged_removed: int
    orphans_removed: int


def sweep(
    *,
    session: Session,
    settings: Settings,
    grace: timedelta = SWEEP_GRACE,
    now: float | None = None,
) -> SweepResult:
    """Remove what a crashed upload left: staged parts, and placed files whose row never
    committed, once older than `grace` (younger ones may belong to an upload in flight)."""
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    staged_removed = 0
    staging = staging_folder(settings)
    if staging.is_dir():
        for part in staging.iterdir():
            if part.is_file() and part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
                staged_removed += 1
    orphans = FileStore(root=attachments_folder(settings)).remove_orphans(
        session=session, older_than=cutoff
    )
    return SweepResult(staged_removed=staged_removed, orphans_removed=orphans)
