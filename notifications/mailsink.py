"""A local SMTP server (aiosmtpd) that files every message it receives into a Maildir.

The demo starts one so its reminders arrive somewhere a person can read them
(`mutt -f data/demo-mail`, or any mail client that opens a Maildir).
"""

from __future__ import annotations

import mailbox
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.maildir = mailbox.Maildir(folder, create=True)
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.maildir.add(envelope.original_content or envelope.content)
        self.received += 1
        return "250 Message accepted for delivery"


@dataclass
class RunningSink:
    host: str
    port: int
    folder: Path
    handler: MaildirHandler


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def local_mail_server(folder: Path, host: str = "127.0.0.1") -> Iterator[RunningSink]:
    handler = MaildirHandler(folder)
    port = free_port(host)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    try:
        yield RunningSink(host, port, folder, handler)
    finally:
        controller.stop()
