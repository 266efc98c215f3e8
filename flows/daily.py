"""The three scheduled flows. Each takes `as_of` (a local date) so any day can be replayed;
without it a scheduled run uses the day it was scheduled for (a late run catching up after a
stop works for its own day), and a manual run uses today.

Each flow is a few calls to flows.jobs; running one twice for a day does nothing twice,
because the services are idempotent (unique keys, insert-or-ignore, leases on the outbox).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import jobs
from tracking import clock

# A task fails only on a database error (a PostgreSQL failover, a locked SQLite file), and is
# retried briefly. A failed send is not an error of the task: deliver() records it on the
# message, and the outbox retries that message with its own backoff (doubling from
# notify_backoff_seconds, up to notify_max_attempts, then `dead`), not Prefect.
DB_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [5, 30]}


def run_day(as_of: date | None) -> date:
    """as_of, else the local date the run was scheduled for, else today."""
    if as_of is not None:
        return as_of
    if flow_run.get_deployment_id():
        return flow_run.get_scheduled_start_time().astimezone(clock.local_zone()).date()
    return clock.today()


@task(name="create-occurrences", cache_policy=NO_CACHE, **DB_RETRIES)
def create_occurrences(as_of: date) -> dict[str, Any]:
    return jobs.create_occurrences(as_of=as_of)


@task(name="plan-reminders", cache_policy=NO_CACHE, **DB_RETRIES)
def plan_reminders(as_of: date) -> dict[str, Any]:
    return jobs.plan_reminders(as_of=as_of)


@task(name="deliver-outbox", cache_policy=NO_CACHE, **DB_RETRIES)
def deliver_outbox(at: datetime | None = None) -> dict[str, Any]:
    return jobs.deliver_outbox(at=at)


@task(name="draft-reports", cache_policy=NO_CACHE, **DB_RETRIES)
def draft_reports(as_of: date) -> dict[str, Any]:
    return jobs.draft_reports(as_of=as_of)


@flow(name="daily-sweep", description="Tạo nhiệm vụ định kỳ đến kỳ và lập lịch nhắc hạn trong ngày")
def daily_sweep(as_of: date | None = None) -> dict[str, Any]:
    day = run_day(as_of)
    occurrences = create_occurrences(day)
    return {"as_of": day.isoformat(), "occurrences": occurrences, "reminders": plan_reminders(day)}


@flow(
    name="delivery",
    description="Gửi các thông báo đến hạn trong hộp thư đi (email, Zalo)",
    timeout_seconds=1800,
)
def delivery(as_of: date | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Sends what is due now; `at` sends as if at that instant (the demo, inside the window)."""
    day = run_day(as_of)
    return {"as_of": day.isoformat(), **deliver_outbox(at)}


@flow(
    name="report-drafting",
    description="Soạn dự thảo báo cáo định kỳ khi kỳ báo cáo đã chốt số liệu, báo văn phòng",
)
def report_drafting(as_of: date | None = None) -> dict[str, Any]:
    day = run_day(as_of)
    return {"as_of": day.isoformat(), **draft_reports(day)}
