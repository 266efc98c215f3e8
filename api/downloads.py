"""The one way the API sends a file: a whitelisted name in Content-Disposition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse

from models import Attachment
from tracking.attachments import CHUNK_BYTES
from tracking.filenames import ascii_filename, safe_filename


def content_disposition(filename: str) -> str:
    """`filename=` in ASCII for old clients, `filename*=` (RFC 6266/5987) with the Vietnamese
    name percent-encoded; neither can carry a quote, a semicolon or a line break."""
    name = safe_filename(filename)
    return (
        f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


def file_response(*, content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename)},
    )


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    with source:
        while chunk := source.read(CHUNK_BYTES):
            yield chunk


def attachment_response(*, source: BinaryIO, attachment: Attachment) -> StreamingResponse:
    """An attachment as a download (never shown inline), typed by what its content was
    checked to be, with nosniff so no browser guesses otherwise."""
    return StreamingResponse(
        _chunks(source),
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.name),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
        },
    )
