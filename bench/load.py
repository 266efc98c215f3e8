"""The HTTP side of the bench: `nhiemvu serve --no-flows` in its own process, sequential
requests (warm-up, /stats), and concurrent load on one URL with `wrk` or, where wrk is not
installed, with this module's own generator:

    BENCH_TOKEN=… python -m bench.load --port 8000 --path '/api/v1/tasks?…' --clients 4 --seconds 20

which runs the clients as separate processes (keep-alive http.client connections) and prints
one JSON object. This module imports nothing of the product, so those processes start fast.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.timing import more_runs, percentile, rounded, summary_ms

API = "/api/v1"
WRK_SCRIPT = Path(__file__).with_name("wrk_summary.lua")
WRK_MARK = "BENCH-JSON "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nhiemvu_command() -> list[str]:
    """The installed `nhiemvu` script beside this interpreter, else `python -m cli`."""
    script = Path(sys.executable).with_name("nhiemvu")
    if script.exists():
        return [str(script)]
    found = shutil.which("nhiemvu")
    return [found] if found else [sys.executable, "-m", "cli"]


# --- one keep-alive connection ---------------------------------------------------------------


class Client:
    """Sequential requests over one keep-alive connection, reopened after a socket error."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port = port
        self.token = token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "",
        reopen: bool = True,
    ) -> tuple[int, bytes, float]:
        """(status, body, milliseconds). With `reopen`, a connection the server closed while
        it was idle (uvicorn closes keep-alive connections after 5 s) is opened again and the
        request sent once more, as browsers do; the time is that of the answered request."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            return self._send(method, path, body, headers)
        except ConnectionError:
            if not reopen:
                raise
            return self._send(method, path, body, headers)

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        return response.status, content, (time.perf_counter() - started) * 1000

    def get_json(self, path: str) -> tuple[Any, float]:
        status, content, ms = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {content[:500]!r}")
        return json.loads(content), ms

    def log_in(self, username: str, password: str) -> None:
        status, content, _ = self.request(
            "POST",
            f"{API}/auth/token",
            body=urlencode({"username": username, "password": password}).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        if status != 200:
            raise RuntimeError(f"log in as {username}: HTTP {status}: {content[:500]!r}")
        self.token = json.loads(content)["access_token"]

    def close(self) -> None:
        self.connection.close()


def sequential(client: Client, path: str, count: int) -> tuple[dict[str, Any], Any]:
    """`count` GETs one after the other (at least 3, fewer once the repeat budget is spent):
    their timing summary and the last answer."""
    samples: list[float] = []
    answer = None
    while more_runs(samples, runs=count, minimum=min(3, count)):
        answer, ms = client.get_json(path)
        samples.append(ms)
    return summary_ms(samples), answer


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    start_ms: float
    log: Path


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to the server's own process group (what Ctrl-C does), then SIGKILL."""
    for sent in (signal.SIGINT, signal.SIGKILL):
        if process.poll() is not None:
            return
        os.killpg(process.pid, sent)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_server(
    *, environment: Mapping[str, str], log: Path, workers: int, timeout: float = 300
) -> Iterator[Server]:
    """`nhiemvu serve --no-flows --workers N` on 127.0.0.1 and a free port, ready (GET /health
    answers); stopped on leaving. Its output goes to `log`."""
    port = free_port()
    command = [*nhiemvu_command(), "serve", "--no-flows", "--host", "127.0.0.1"]
    command += ["--workers", str(workers)]
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"nhiemvu serve stopped ({process.returncode}): {tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nhiemvu serve not ready within {timeout:.0f} s")
            try:
                probe = Client(port)
                status, _, _ = probe.request("GET", f"{API}/health")
                probe.close()
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield Server(port=port, start_ms=rounded((time.perf_counter() - started) * 1000), log=log)
    finally:
        _stop(process)


# --- concurrent load -------------------------------------------------------------------------


def wrk_version() -> str:
    """'wrk 4.1.0…' when wrk is installed, else ''."""
    if shutil.which("wrk") is None:
        return ""
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=20)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0] if first else "wrk"


def load_with_wrk(
    *, port: int, path: str, token: str, clients: int, seconds: float
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "120s",
        "-s",
        str(WRK_SCRIPT),
        "-H",
        f"Authorization: Bearer {token}",
        f"http://127.0.0.1:{port}{path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 180)
    lines = [line for line in done.stdout.splitlines() if line.startswith(WRK_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr}")
    raw = json.loads(lines[-1].removeprefix(WRK_MARK))
    duration = raw["duration_us"] / 1e6
    socket_errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors"))
    return {
        "requests": raw["requests"],
        "seconds": rounded(duration),
        "req_per_s": rounded(raw["requests"] / duration) if duration else 0.0,
        "p50_ms": rounded(raw["p50_us"] / 1000),
        "p95_ms": rounded(raw["p95_us"] / 1000),
        "p99_ms": rounded(raw["p99_us"] / 1000),
        "max_ms": rounded(raw["max_us"] / 1000),
        "errors": {
            "non_2xx": raw["status_errors"],
            "socket": socket_errors,
            "timeouts": raw["timeouts"],
        },
    }


def _client_process(port: int, path: str, token: str, seconds: float) -> dict[str, Any]:
    """One client: GET `path` again and again until the time is up."""
    client = Client(port, token)
    latencies: list[float] = []
    non_2xx = socket_errors = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        try:
            status, _, ms = client.request("GET", path, reopen=False)
        except (OSError, http.client.HTTPException):
            socket_errors += 1
            continue
        latencies.append(ms)
        if not 200 <= status < 300:
            non_2xx += 1
    client.close()
    return {
        "latencies": latencies,
        "non_2xx": non_2xx,
        "socket": socket_errors,
        "seconds": time.perf_counter() - started,
    }


def load_with_python(
    *, port: int, path: str, token: str, clients: int, seconds: float
) -> dict[str, Any]:
    """This module's generator, in its own process (see the module's docstring)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--port",
            str(port),
            "--path",
            path,
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
        ],
        env={**os.environ, "BENCH_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=seconds + 180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.load failed ({done.returncode}): {done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def python_load(
    *, port: int, path: str, token: str, clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` processes at once (fork: this process holds no threads), results merged."""
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        parts = pool.starmap(_client_process, [(port, path, token, seconds)] * clients)
    latencies = [ms for part in parts for ms in part["latencies"]]
    duration = max(part["seconds"] for part in parts)
    return {
        "requests": len(latencies),
        "seconds": rounded(duration),
        "req_per_s": rounded(len(latencies) / duration) if duration else 0.0,
        "p50_ms": rounded(percentile(latencies, 0.50)),
        "p95_ms": rounded(percentile(latencies, 0.95)),
        "p99_ms": rounded(percentile(latencies, 0.99)),
        "max_ms": rounded(max(latencies, default=0.0)),
        "errors": {
            "non_2xx": sum(part["non_2xx"] for part in parts),
            "socket": sum(part["socket"] for part in parts),
            "timeouts": 0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    arguments = parser.parse_args()
    answer = python_load(
        port=arguments.port,
        path=arguments.path,
        token=os.environ.get("BENCH_TOKEN", ""),
        clients=arguments.clients,
        seconds=arguments.seconds,
    )
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
