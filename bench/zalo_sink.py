"""A local HTTP server answering as Zalo's Official Account API does (docs/domain.md#zalo), so
the day's zalo:// and zns:// digests are delivered somewhere during a benchmark.

It accepts every message that carries an access token (Zalo's answer: HTTP 200, JSON
`error` 0) and counts it; a refresh gets a new pair. Nothing is checked beyond that: the
bench measures the delivery, the tests check the plugin's behaviour.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGE_PATHS = ("/v3.0/oa/message/cs", "/v3.0/oa/message/transaction", "/message/template")
REFRESH_PATH = "/v4/oa/access_token"


@dataclass
class ZaloCounts:
    messages: int = 0
    refreshes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    counts: ZaloCounts
    protocol_version = "HTTP/1.1"  # keep-alive, as Zalo's servers

    def log_message(self, *args: Any) -> None:  # no line per request on the bench's output
        pass

    def _answer(self, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == REFRESH_PATH:
            with self.counts.lock:
                self.counts.refreshes += 1
                number = self.counts.refreshes
            self._answer(
                {
                    "access_token": f"bench-access-{number}",
                    "refresh_token": f"bench-refresh-{number}",
                    "expires_in": "90000",
                }
            )
        elif self.path.split("?", 1)[0] not in MESSAGE_PATHS:
            self._answer({"error": 404, "message": "not found"})
        elif not self.headers.get("access_token"):
            self._answer({"error": -216, "message": "Access token is invalid"})
        else:
            with self.counts.lock:
                self.counts.messages += 1
                number = self.counts.messages
            self._answer({"error": 0, "message": "Success", "data": {"message_id": f"b{number}"}})


@dataclass
class RunningZalo:
    base_url: str
    counts: ZaloCounts


@contextmanager
def local_zalo_api() -> Iterator[RunningZalo]:
    """The fake API on 127.0.0.1 (an ephemeral port), stopped on leaving."""
    counts = ZaloCounts()
    handler = type("BenchZaloHandler", (_Handler,), {"counts": counts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield RunningZalo(f"http://127.0.0.1:{server.server_address[1]}", counts)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
