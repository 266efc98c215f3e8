"""Files attached to a task's progress reports, completion report and extension requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from models.types import EnumText, instant_field


class AttachmentKind(enum.StrEnum):
    """What the file is attached to."""

    PROGRESS = "progress"  # a progress report (progress_id)
    COMPLETION = "completion"  # the task's completion report (the task itself)
    EXTENSION = "extension"  # an extension request (extension_id)


class AttachmentStorage(enum.StrEnum):
    """Where the bytes live: a file under data_dir/attachments/, or the attachmentcontent row."""

    FILES = "files"
    DATABASE = "database"


class Attachment(SQLModel, table=True):
    """One uploaded file, checked by its content. The bytes are stored under `storage_key`
    (a generated id, never the uploader's name) by the store named in `storage`."""

    __table_args__ = (Index("ix_attachment_task", "task_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id")
    kind: AttachmentKind = Field(sa_type=EnumText(AttachmentKind))
    progress_id: int | None = Field(default=None, foreign_key="progressupdate.id")
    extension_id: int | None = Field(default=None, foreign_key="extensionrequest.id")
    # The uploader's file name, cleaned (tracking.attachments.clean_name), with the extension
    # of the type found in the content.
    name: str = Field(max_length=150)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage: AttachmentStorage = Field(sa_type=EnumText(AttachmentStorage))
    storage_key: str = Field(max_length=32, unique=True)
    unit_id: int = Field(foreign_key="unit.id")
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = instant_field()


class AttachmentContent(SQLModel, table=True):
    """The bytes of an attachment kept in the database (NHIEMVU_ATTACHMENT_STORE=database)."""

    attachment_id: int = Field(foreign_key="attachment.id", primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
