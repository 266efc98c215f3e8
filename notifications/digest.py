"""The daily digest: one message per recipient per channel listing all their items (Vietnamese)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from notifications.audiences import AUDIENCES
from tracking.formatting import long_date

TEMPLATES = Path(__file__).parent / "templates"


def status_text(working_days_left: int) -> str:
    if working_days_left > 0:
        return f"còn {working_days_left} ngày làm việc"
    if working_days_left == 0:
        return "đến hạn hôm nay"
    return f"quá hạn {-working_days_left} ngày làm việc"


@dataclass(frozen=True, slots=True)
class DigestLine:
    task_id: int
    title: str
    unit: str
    due_on: date
    working_days_left: int  # negative when overdue
    audience: str
    link: str

    @property
    def role_text(self) -> str:
        audience = AUDIENCES.get(self.audience)
        return audience.reason if audience else self.audience


@lru_cache
def _env() -> Environment:
    # Plain text, not HTML: autoescape would turn "&" in a task title into "&amp;".
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


# A day's digests name the same few hundred deadlines over and over.
_long_date = lru_cache(maxsize=4096)(long_date)


def _digest_text(
    lines: list[DigestLine], as_of: date, recipient_name: str, recipient_title: str
) -> tuple[str, str]:
    """(subject, body) in plain text: built with str.join, as a day's planning renders a
    digest per recipient and channel (a template engine's attribute lookups per line cost
    more than the rest of the digest)."""
    as_of_text = long_date(as_of)
    overdue = sum(1 for line in lines if line.working_days_left < 0)
    subject = f"[Nhắc việc] {len(lines)} nhiệm vụ cần xử lý"
    if overdue:
        subject += f" ({overdue} quá hạn)"
    subject += f" - {as_of_text}"
    title = f" ({recipient_title})" if recipient_title else ""
    parts = [
        f"Kính gửi {recipient_name}{title},\n\n"
        f"Hệ thống theo dõi nhiệm vụ xin nhắc {len(lines)} nhiệm vụ cần xử lý, "
        f"tính đến {as_of_text}:\n"
    ]
    for number, line in enumerate(lines, start=1):
        parts.append(
            f"\n{number}. {line.title}\n"
            f"   - Đơn vị chủ trì: {line.unit}\n"
            f"   - Hạn xử lý: {_long_date(line.due_on)}\n"
            f"   - Tình trạng: {status_text(line.working_days_left)}\n"
            f"   - Lý do nhận nhắc: {line.role_text}\n"
            f"   - Xem chi tiết: {line.link}\n"
        )
    parts.append("\nĐây là thông báo tự động, vui lòng không trả lời.")
    return subject.strip(), "".join(parts).strip() + "\n"


def render_digest(
    *, lines: list[DigestLine], as_of: date, recipient_name: str, recipient_title: str = ""
) -> tuple[str, str]:
    """(subject, body); items ordered most overdue first, then by deadline."""
    ordered = sorted(lines, key=lambda line: (line.working_days_left, line.due_on, line.task_id))
    return _digest_text(ordered, as_of, recipient_name, recipient_title)


def render_dead_alert(
    *, notification_id: int, recipient: str, channel: str, attempts: int, last_error: str
) -> tuple[str, str]:
    body = (
        _env()
        .get_template("dead_alert.j2")
        .render(
            notification_id=notification_id,
            recipient=recipient,
            channel=channel,
            attempts=attempts,
            last_error=last_error,
        )
        .strip()
        + "\n"
    )
    return f"[nhiemvu] Thông báo số {notification_id} không gửi được", body
