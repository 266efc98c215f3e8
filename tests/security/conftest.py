"""Shared fixtures of the attack tests: an attacker's HTTP listener on 127.0.0.1 that records
every request it receives (and answers like a Zalo OAuth server, to tempt a token refresh),
and the existing API world, real SMTP server and fake Zalo API, reused from their packages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from settings import get_settings
from tests.api.conftest import (  # noqa: F401  (fixtures reused here)
    cheap_password_hashing,
    module_db_url,
    world,
)
from tests.notifications.conftest import (  # noqa: F401  (fixtures reused here)
    SmtpServer,
    smtp,
    smtp_port,
    zalo_api,
)

ATTACKER_PAIR = {
    "access_token": "AT-ATTACKER",
    "refresh_token": "RT-ATTACKER",
    "expires_in": "90000",
}


@dataclass
class Listener:
    port: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Recorder(BaseHTTPRequestHandler):
    listener: Listener

    def log_message(self, *args: Any) -> None:
        pass

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with self.listener.lock:
            self.listener.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
            )
        raw = json.dumps({"error": 0, **ATTACKER_PAIR}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record


@pytest.fixture
def listener() -> Iterator[Listener]:
    """The attacker's server: a test asserts it received nothing (or, where an administrator
    allowed it, what it received)."""
    recorder = Listener(port=0)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), type("Recorder", (_Recorder,), {"listener": recorder})
    )
    recorder.port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def mail(smtp: SmtpServer) -> Iterator[SmtpServer]:  # noqa: F811
    """The real SMTP server; the settings pointing at its port are dropped afterwards."""
    yield smtp
    get_settings.cache_clear()
