"""The one way the API sends a file: a whitelisted name in Content-Disposition."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

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
