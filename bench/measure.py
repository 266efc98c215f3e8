"""The measurements that run inside the product's own code: reminder planning and delivery
(each in a fresh process, as `nhiemvu remind` and `nhiemvu deliver` run), the annual report
of a province drafted, and the start of the `nhiemvu` command.

    python -m bench.measure plan --database-url URL --as-of 2026-06-30 [--reruns 3]
    python -m bench.measure deliver --database-url URL

print one JSON object each; the SMTP and Zalo endpoints come from the environment
(NHIEMVU_SMTP_HOST, NHIEMVU_SMTP_PORT, NHIEMVU_ZALO_API_BASE …), as for the product.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bench.load import nhiemvu_command
from bench.timing import more_runs, rounded, summary_ms
from models import (
    ChannelKind,
    ContactChannel,
    Notification,
    NotificationKind,
    NotificationState,
    ZaloToken,
)
from models.db import make_engine
from notifications.tokens import save_zalo_tokens
from tracking.clock import local_zone

MEMORY_METHOD = (
    "a fresh process: peak_rss_mb is getrusage(RUSAGE_SELF).ru_maxrss after the first run (the "
    "whole process's peak resident memory), rss_before_mb its resident memory (/proc/self/statm) "
    "after imports and connecting, just before planning"
)


def _max_rss_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    """The process's resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / (1024 * 1024)


def _ms_since(started: float) -> float:
    return rounded((time.perf_counter() - started) * 1000)


def plan_here(*, database_url: str, as_of: date, reruns: int) -> dict[str, Any]:
    """Plan the day's reminders, then plan them again (which must add nothing)."""
    from notifications.planner import plan_with_engine

    engine = make_engine(database_url)
    with engine.connect():
        pass
    before = _rss_mb()
    # The world's day planned on that day (the daily run), not as a catch-up of a past day:
    # the clock is set to it (time-machine moves datetime, not perf_counter).
    with time_machine.travel(datetime.combine(as_of, dt_time(7), tzinfo=local_zone())):
        started = time.perf_counter()
        first = plan_with_engine(engine=engine, as_of=as_of)
        first_ms = _ms_since(started)
        peak_first = _max_rss_mb()
        rerun_ms: list[float] = []
        added_on_rerun = 0
        for _ in range(reruns):
            started = time.perf_counter()
            again = plan_with_engine(engine=engine, as_of=as_of)
            rerun_ms.append(_ms_since(started))
            added_on_rerun += again.items_added + again.notifications_added
    engine.dispose()
    return {
        "as_of": as_of.isoformat(),
        "is_working_day": first.is_working_day,
        "tasks_in_window": first.tasks_in_window,
        "reminders": first.reminders_planned,
        "reminder_items_added": first.items_added,
        "digests": first.notifications_added,
        "first_run_ms": first_ms,
        "rerun": summary_ms(rerun_ms),
        "added_on_rerun": added_on_rerun,
        "peak_rss_mb": rounded(peak_first),
        "rss_before_mb": rounded(before),
        "peak_rss_above_start_mb": rounded(peak_first - before),
        "peak_rss_with_reruns_mb": rounded(_max_rss_mb()),
        "memory_method": MEMORY_METHOD,
    }


def deliver_here(*, database_url: str) -> dict[str, Any]:
    """Deliver what is due, as at the next opening of the send window (as the demo does)."""
    from notifications.delivery import deliver, next_window_opening

    engine = make_engine(database_url)
    at = next_window_opening(engine)
    started = time.perf_counter()
    result = deliver(engine=engine, at=at)
    wall_ms = _ms_since(started)
    engine.dispose()
    return {
        "as_at": at.isoformat(timespec="seconds"),
        **result.counts(),
        "wall_ms": wall_ms,
        "messages_per_s": rounded(result.sent / (wall_ms / 1000)) if wall_ms else 0.0,
    }


def run_in_fresh_process(
    arguments: Sequence[str], *, environment: Mapping[str, str], timeout: float
) -> dict[str, Any]:
    """`python -m bench.measure …` in a new process; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.measure", *arguments],
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"bench.measure {arguments[0]} failed ({done.returncode}): {done.stderr[-3000:]}"
        )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# --- the parent's side of delivery: what is pending, by channel kind ------------------------


def digests_by_kind(engine: Engine) -> dict[str, dict[str, int]]:
    """Digest rows of the outbox by the kind of their channel and their state."""
    counts: dict[str, dict[str, int]] = {}
    with Session(engine) as session:
        rows = session.exec(
            select(ContactChannel.kind, Notification.state, func.count())
            .join(ContactChannel, col(ContactChannel.id) == col(Notification.channel_id))
            .where(Notification.kind == NotificationKind.DIGEST)
            .group_by(col(ContactChannel.kind), col(Notification.state))
        ).all()
    for kind, state, count in rows:
        counts.setdefault(str(kind), {})[str(state)] = count
    return counts


def authorise_zalo_accounts(engine: Engine) -> int:
    """Store a token pair for every Official Account the pending digests go through (a bench
    world has none stored); returns how many were added."""
    with Session(engine) as session:
        urls = session.exec(
            select(Notification.channel_url)
            .join(ContactChannel, col(ContactChannel.id) == col(Notification.channel_id))
            .where(
                Notification.state == NotificationState.PENDING,
                col(ContactChannel.kind).in_([ChannelKind.ZALO, ChannelKind.ZNS]),
            )
        ).all()
        accounts = {urlsplit(url).hostname or "" for url in urls} - {""}
        known = set(session.exec(select(ZaloToken.oa_id)).all())
        for oa_id in sorted(accounts - known):
            save_zalo_tokens(
                session=session,
                oa_id=oa_id,
                app_id="bench",
                access_token="bench-access-0",
                refresh_token="bench-refresh-0",
            )
        session.commit()
    return len(accounts - known)


# --- the annual report of a province ---------------------------------------------------------


def draft_annual_report(*, engine: Engine, unit_id: int, as_of: date, runs: int) -> dict[str, Any]:
    """As `nhiemvu report make --kind year` drafts: the figures (the draft's snapshot), then
    the DOCX, `runs` times (fewer once the repeat budget is spent). Each draft is rolled
    back, so a reused world does not collect reports."""
    from reports import service
    from tracking.audit import Actor

    figures_ms: list[float] = []
    docx_ms: list[float] = []
    total_ms: list[float] = []
    docx_bytes = 0
    while more_runs(total_ms, runs=runs):
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            report = service.create_draft(
                session=session,
                actor=Actor(name="bench"),
                kind="year",
                period_code=str(as_of.year),
                unit_id=unit_id,
                as_of=as_of,
                issuer_code="UBND",
            )
            drafted = time.perf_counter()
            rendered = service.render(
                session=session, report_id=report.id or 0, fmt=service.ReportFormat.DOCX
            )
            finished = time.perf_counter()
            session.rollback()
        figures_ms.append((drafted - started) * 1000)
        docx_ms.append((finished - drafted) * 1000)
        total_ms.append((finished - started) * 1000)
        docx_bytes = len(rendered.content)
    return {
        "unit_id": unit_id,
        "kind": "year",
        "period": str(as_of.year),
        "as_of": as_of.isoformat(),
        "figures": summary_ms(figures_ms),
        "docx": summary_ms(docx_ms),
        "total": summary_ms(total_ms),
        "docx_bytes": docx_bytes,
    }


# --- the start of the command ----------------------------------------------------------------


CLI_COMMANDS = {
    "help": ["--help"],
    "calendar_due": ["calendar", "due", "2026-02-12", "--working-days", "3"],
}


def cli_start(*, environment: Mapping[str, str], runs: int) -> dict[str, Any]:
    """Wall time of whole `nhiemvu` commands (the second one opens the bench's database)."""
    command = nhiemvu_command()
    measured: dict[str, Any] = {"command": " ".join(command)}
    for name, arguments in CLI_COMMANDS.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [*command, *arguments],
                env=dict(environment),
                capture_output=True,
                text=True,
                timeout=300,
            )
            samples.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                raise RuntimeError(
                    f"nhiemvu {' '.join(arguments)} failed ({done.returncode}): "
                    f"{done.stderr[-2000:]}"
                )
        measured[name] = {"arguments": " ".join(arguments), **summary_ms(samples)}
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["plan", "deliver"])
    parser.add_argument("--database-url", default=os.environ.get("NHIEMVU_DATABASE_URL", ""))
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--reruns", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.what == "plan":
        answer = plan_here(
            database_url=arguments.database_url, as_of=arguments.as_of, reruns=arguments.reruns
        )
    else:
        answer = deliver_here(database_url=arguments.database_url)
    print(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    main()
