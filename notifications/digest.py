"""The daily digest: one message per recipient per channel listing all their items (Vietnamese)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from notifications.audiences import AUDIENCES
from settings import get_settings
from tracking.formatting import long_date

TEMPLATES = Path(__file__).parent / "templates"
# The start of every message's subject, whatever it is about: one rule for mail filters.
SUBJECT_PREFIX = "[Nhắc việc]"
# Where on a task's page (web/templates/task.html) each act is done.
PROGRESS_ANCHOR = "bao-cao-tien-do"
COMPLETION_ANCHOR = "bao-cao-hoan-thanh"
EXTENSION_ANCHOR = "xin-gia-han"


def salutation(*, name: str, title: str = "") -> str:
    """The opening line of every message to a person: "Kính gửi: <chức danh> <họ tên>,"."""
    addressed = " ".join(part for part in (title.strip(), name.strip()) if part)
    return f"Kính gửi: {addressed or 'anh/chị'},"


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
    # The document that assigned the task ("Kế hoạch số 61/KH-UBND ngày 02/03/2021"), if any.
    document: str = ""

    @property
    def progress_link(self) -> str:
        return f"{self.link}#{PROGRESS_ANCHOR}"

    @property
    def completion_link(self) -> str:
        return f"{self.link}#{COMPLETION_ANCHOR}"

    @property
    def extension_link(self) -> str:
        return f"{self.link}#{EXTENSION_ANCHOR}"

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
    subject = f"{SUBJECT_PREFIX} {len(lines)} nhiệm vụ cần xử lý"
    if overdue:
        subject += f" ({overdue} quá hạn)"
    subject += f" - {as_of_text}"
    parts = [
        f"{salutation(name=recipient_name, title=recipient_title)}\n\n"
        f"Hệ thống theo dõi nhiệm vụ xin nhắc {len(lines)} nhiệm vụ cần xử lý, "
        f"tính đến {as_of_text}:\n"
    ]
    for number, line in enumerate(lines, start=1):
        document = f"   - Văn bản giao: {line.document}\n" if line.document else ""
        parts.append(
            f"\n{number}. {line.title}\n"
            f"{document}"
            f"   - Đơn vị chủ trì: {line.unit}\n"
            f"   - Hạn xử lý: {_long_date(line.due_on)}\n"
            f"   - Tình trạng: {status_text(line.working_days_left)}\n"
            f"   - Lý do nhận nhắc: {line.role_text}\n"
            f"   - Xem nhiệm vụ: {line.link}\n"
            f"   - Báo cáo tiến độ: {line.progress_link}\n"
            f"   - Báo cáo hoàn thành: {line.completion_link}\n"
            f"   - Xin gia hạn: {line.extension_link}\n"
        )
    parts.append("\nĐây là thông báo tự động, vui lòng không trả lời thư này.")
    return subject.strip(), "".join(parts).strip() + "\n"


def render_digest(
    *, lines: list[DigestLine], as_of: date, recipient_name: str, recipient_title: str = ""
) -> tuple[str, str]:
    """(subject, body); items ordered most overdue first, then by deadline."""
    ordered = sorted(lines, key=lambda line: (line.working_days_left, line.due_on, line.task_id))
    return _digest_text(ordered, as_of, recipient_name, recipient_title)


def render_dead_alert(
    *,
    notification_id: int,
    recipient: str,
    channel: str,
    attempts: int,
    last_error: str,
    oa_interaction_needed: bool = False,
) -> tuple[str, str]:
    body = (
        _env()
        .get_template("dead_alert.j2")
        .render(
            salutation=salutation(name="", title="Quản trị hệ thống"),
            notification_id=notification_id,
            recipient=recipient,
            channel=channel,
            attempts=attempts,
            last_error=last_error,
            oa_interaction_needed=oa_interaction_needed,
            link=f"{get_settings().public_base_url.rstrip('/')}/reminders",
        )
        .strip()
        + "\n"
    )
    return f"{SUBJECT_PREFIX} Thông báo số {notification_id} không gửi được", body
