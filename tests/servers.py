"""Real servers the suites talk to, and the waits around them: a free port on 127.0.0.1, an
SMTP server (aiosmtpd) keeping what it accepted, the app behind uvicorn in a thread, a bounded
poll, and the stop of a server started as a process group."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any, Literal

import uvicorn
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, predicate: Callable[[], Any], timeout: float) -> Any:
    """Polls until predicate() is truthy and returns its value; fails naming what never
    happened (bounds a wait, asserts nothing about how long it took)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGINT, and a second one if the first is not enough (what Ctrl-C twice does); then
    SIGKILL. The process was started with start_new_session=True."""
    for _ in range(2):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_uvicorn(
    app: Any, *, port: int = 0, lifespan: Literal["auto", "on", "off"] = "auto", timeout: float = 20
) -> Iterator[int]:
    """The app served by uvicorn in a thread on 127.0.0.1 (an ephemeral port unless `port`
    is given); yields the port once it accepts connections, stops it on leaving."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class Mail:
    to: list[str]  # the envelope's recipients
    message: Message

    @property
    def subject(self) -> str:
        return str(make_header(decode_header(self.message["Subject"])))

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        return self._part("text/plain")

    @property
    def html(self) -> str:
        return self._part("text/html")

    def _part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8").replace("\r\n", "\n")
        raise AssertionError(f"no {content_type} part")


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1; `hold_at=n` parks the n-th DATA until released and drops it."""

    port: int
    received: list[Mail] = field(default_factory=list)
    hold_at: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        if self.hold_at is not None and self.data_count == self.hold_at:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # The client is gone: the message was never accepted, so it is not counted.
            return "451 4.3.0 aborted"
        self.received.append(Mail(list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.received if address in mail.to]
