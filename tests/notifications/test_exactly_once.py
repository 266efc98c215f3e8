"""Exactly once across crashes and concurrent workers, counted at a real SMTP server.

Delivery runs in real subprocesses (`python -m tests.notifications.deliver_worker`), which
cannot be time-frozen, so these tests open the send window around the clock through the global
policy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Notification, NotificationKind, NotificationState
from models.types import utc_now
from notifications.delivery import claim, message_id_for
from notifications.policy import set_policy
from settings import get_settings
from tests.servers import SmtpServer

ROOT = Path(__file__).resolve().parents[2]


def _outbox(engine: Engine, count: int) -> list[str]:
    with Session(engine) as session:
        set_policy(
            session=session,
            scope="global",
            rules={"send_window": {"start": "00:00", "end": "23:59", "working_days_only": False}},
        )
        keys = []
        for n in range(count):
            key = f"test:exactly-once:{n}"
            keys.append(key)
            session.add(
                Notification(
                    key=key,
                    kind=NotificationKind.TEST,
                    channel_url=f"mailto:cb{n}@so.example.vn",
                    subject=f"Nhắc việc số {n}",
                    body=f"Nội dung thư số {n}: hạn xử lý hôm nay",
                    next_attempt_at=utc_now() - timedelta(minutes=1),
                )
            )
        session.commit()
    return keys


def _worker(db_url: str, smtp_port: int, batch: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NHIEMVU_DATABASE_URL": db_url,
        "NHIEMVU_SMTP_PORT": str(smtp_port),
        "NHIEMVU_SMTP_HOST": "127.0.0.1",
        "NHIEMVU_SMTP_FROM": "nhacviec@ubnd.example.vn",
        "NHIEMVU_NOTIFY_LEASE_SECONDS": "1",
        "NHIEMVU_NOTIFY_BACKOFF_SECONDS": "0",
        "NHIEMVU_ENVIRONMENT": "test",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.notifications.deliver_worker",
            "--until-empty",
            "--batch",
            str(batch),
            "--max-seconds",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _check_all_once(engine: Engine, smtp: SmtpServer, keys: list[str]) -> dict[str, int]:
    ids = Counter(m.message_id for m in smtp.received)
    assert len(smtp.received) == len(keys)  # total messages: none doubled
    assert set(ids) == {message_id_for(k) for k in keys}  # every one, distinct
    with Session(engine) as session:
        rows = session.exec(select(Notification)).all()
        assert {r.state for r in rows} == {NotificationState.SENT}
        return {r.key: r.attempts for r in rows}


def test_worker_killed_mid_batch_then_restarted_delivers_each_once(
    engine: Engine, db_url: str, smtp: SmtpServer
) -> None:
    keys = _outbox(engine, 6)
    smtp.hold_at = 3  # the server holds the 3rd message (batch 2 of 3) without answering
    first = _worker(db_url, smtp.port, batch=2)
    try:
        assert smtp.held.wait(20), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        smtp.release.set()
    assert len(smtp.received) == 2
    with Session(engine) as session:
        leased = session.exec(
            select(Notification).where(Notification.state == NotificationState.SENDING)
        ).all()
        assert len(leased) == 2  # the killed batch, still leased to the dead worker
    second = _worker(db_url, smtp.port, batch=2)
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()
    attempts = _check_all_once(engine, smtp, keys)
    # The message the crash interrupted was tried twice; the rest once.
    assert sorted(attempts.values()) == [1, 1, 1, 1, 1, 2]


@pytest.mark.parametrize("workers", [2])
def test_two_workers_at_once_deliver_each_once(
    engine: Engine, db_url: str, smtp: SmtpServer, workers: int
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent worker processes: PostgreSQL (SQLite claims: test below)")
    keys = _outbox(engine, 12)
    procs = [_worker(db_url, smtp.port, batch=3) for _ in range(workers)]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    attempts = _check_all_once(engine, smtp, keys)
    assert set(attempts.values()) == {1}  # no row was ever claimed twice


def test_claims_never_overlap_and_expired_leases_are_taken_over(engine: Engine) -> None:
    _outbox(engine, 5)
    first = claim(engine=engine, owner="a", limit=3)
    second = claim(engine=engine, owner="b", limit=3)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claim(engine=engine, owner="c", limit=3) == []
    # Worker "a" dies: once its lease has expired its rows go to someone else, not before.
    later = utc_now() + timedelta(seconds=get_settings().notify_lease_seconds + 1)
    assert sorted(claim(engine=engine, owner="c", limit=10, now=later)) == sorted(first + second)
