"""Benchmark the hot paths on a province or country world; one JSON file per run.

    python -m bench [--world province|country] [--tasks N] [--stress] [--seed S]
                    [--database-url URL] [--reuse] [--world-info FILE] [--out FILE]
                    [--quick] [--duration SECONDS] [--load-generator auto|wrk|python]
                    [--skip planning|delivery|report|cli|http …]

Default: the province world (bench/world.py) built into a fresh SQLite file in a temporary
folder. `--database-url` (PostgreSQL: postgresql+psycopg://postgres@127.0.0.1/NAME) names an
empty database to build the world into; with `--reuse` the world already built there is
measured again (its WorldInfo is kept in the table bench_world, which the bench creates; a
database built by `python -m bench.world` is adopted with `--world-info` its printed JSON).
A reused world's planned reminders and outbox are deleted first, so planning is a first run.
The bench uses the product's settings (NHIEMVU_*) as `nhiemvu` does; the database must be
read with the encryption key it was built with (data_dir/encryption.key or
NHIEMVU_ENCRYPTION_KEYS).

`--quick` (what `make bench` runs): 5 s of load per scenario instead of 20, 5 /stats requests
instead of 20, one report draft and one planning re-run instead of 3. Repeats stop early once
they have taken 60 s (the report drafted at least once, /stats asked at least 3 times).
`--duration` sets the load's seconds. The results go to bench/results/<world>[-stress]
[-<N>tasks]-<database>-<YYYY-MM-DD>T<HHMM>.json (UTC; or --out) and to stdout; progress to
stderr. A measurement that fails is written as {"error": "…"} in its place; the exit status
is then 1. One left out with `--skip` is absent from the file.
`python -m bench.table FILE…` prints runs side by side as a Markdown table.

The JSON (schema 1; all times in ms, wall clock):
  schema            1
  run               command, quick, load_seconds, clients, database_url (no password),
                    reused_world, outbox_rows_deleted, started_at, finished_at, seconds,
                    load_average_at_end
  machine           date, hostname, nproc, ram_mb, load_average_at_start, os, python, sqlite,
                    database, database_version, git_commit, git_dirty
  world             the WorldInfo of bench/world.py (world, seed, stress, database, as_of,
                    tasks, units, users, root/sample unit ids, build_seconds …)
  planning          notifications.planner.plan_with_engine at world.as_of in a fresh process:
                    tasks_in_window, reminders, reminder_items_added, digests, first_run_ms,
                    rerun {median_ms, p95_ms, min_ms, max_ms, runs, samples_ms},
                    added_on_rerun (must be 0), peak_rss_mb (the process's peak resident
                    memory, read after the first run), rss_before_mb (its resident memory
                    after imports and connecting, just before planning),
                    peak_rss_above_start_mb (the difference), memory_method
  delivery          notifications.delivery.deliver in a fresh process, as at the next opening
                    of the send window, to aiosmtpd (notifications.mailsink) and, for zalo://
                    and zns:// channels, to bench/zalo_sink.py (a local server answering as
                    Zalo's OA API): claimed, sent, failed, dead, skipped, lost_lease, wall_ms,
                    messages_per_s (sent / wall), received {email, zalo} (what the servers
                    got), digests_before / digests_after {channel kind: {state: count}},
                    zalo_accounts_authorised
  report            reports.service.create_draft(kind year) for world.sample_province_id, then
                    render(docx), rolled back: figures, docx, total {median_ms …}, docx_bytes
  cli               `nhiemvu --help` and `nhiemvu calendar due 2026-02-12 --working-days 3`
                    (on the bench database), 3 runs each: help, calendar_due {median_ms …}
  http              `nhiemvu serve --no-flows --workers <nproc>` on 127.0.0.1: server_workers,
                    server_start_ms, then
    stats           GET /api/v1/stats?unit=…&as_of=world.as_of for commune, province and (the
                    country world) root: unit_id, total, first_ms (a warm-up request, not
                    counted), then median_ms, p95_ms … over 20 sequential requests (5 quick)
    task_list       GET /api/v1/tasks?as_of=…&limit=100 for the sample commune (unit=) and the
                    sample province's subtree (include_subtree=true), each filtered by
                    category=overdue, by category=in_progress with due_from/due_to the 7 days
                    from as_of, and by q=text_term: load_generator ("wrk …" or "python"),
                    clients (4), seconds, text_term, scenarios {name: {path, matching,
                    first_ms, sequential {median_ms …} (5 requests), requests, seconds,
                    req_per_s, p50_ms, p95_ms, p99_ms, max_ms, errors {non_2xx, socket,
                    timeouts}}}
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, make_url
from sqlmodel import Session, col, select

from bench import load, machine, measure, store
from bench.timing import rounded
from bench.world import TASKS, WorldInfo, build
from models import Role, Task
from models.db import make_engine
from models.migrate import upgrade
from notifications.mailsink import local_mail_server
from settings import get_settings

SCHEMA_VERSION = 1
RESULTS = Path(__file__).resolve().parent / "results"
CLIENTS = 4
ADMIN_USERNAME = "bench.admin"
SECTIONS = ("planning", "delivery", "report", "cli", "http")


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Plan:
    """How much of each measurement a run does."""

    load_seconds: float
    stats_requests: int
    report_runs: int
    plan_reruns: int
    cli_runs: int = 3
    warm_up_requests: int = 5

    @classmethod
    def of(cls, arguments: argparse.Namespace) -> Plan:
        plan = cls(5, 5, 1, 1) if arguments.quick else cls(20, 20, 3, 3)
        if arguments.duration is not None:
            plan.load_seconds = arguments.duration
        return plan


class Results:
    """The results file being filled; a failing measurement is recorded, not fatal."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"schema": SCHEMA_VERSION}
        self.failed = False

    @contextmanager
    def section(self, name: str, into: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        target = self.data if into is None else into
        values: dict[str, Any] = {}
        started = time.perf_counter()
        say(f"{name}…")
        try:
            yield values
        except Exception as error:
            self.failed = True
            values = {**values, "error": f"{type(error).__name__}: {error}"[:4000]}
            say(f"{name} FAILED: {values['error']}")
        target[name] = values
        say(f"{name}: {time.perf_counter() - started:.1f} s")


def environment_for(database_url: str) -> dict[str, str]:
    """The product's environment for this run's processes: the bench database, and a token
    key of the run's own when none is configured (nothing is written to data_dir for it)."""
    environment = dict(os.environ)
    environment["NHIEMVU_DATABASE_URL"] = database_url
    environment.setdefault("NHIEMVU_SECRET_KEY", secrets.token_urlsafe(48))
    environment.setdefault("DO_NOT_TRACK", "1")
    environment.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return environment


def prepare_world(engine: Engine, arguments: argparse.Namespace, results: Results) -> WorldInfo:
    run = results.data["run"]
    if arguments.reuse:
        upgrade(engine)  # a branch's new migrations, as `nhiemvu serve` would run them
        if arguments.world_info:
            info = store.world_info_of(json.loads(Path(arguments.world_info).read_text()))
            store.save_world(engine, info)
        else:
            info = store.load_world(engine)
        run["outbox_rows_deleted"] = store.forget_reminders(engine)
        say(f"reusing the {info.world} world ({info.tasks} tasks)")
        return info
    store.check_empty(engine)
    say(f"building the {arguments.world} world…")
    info = build(
        engine,
        world=arguments.world,
        seed=arguments.seed,
        stress=arguments.stress,
        tasks=arguments.tasks,
    )
    store.save_world(engine, info)
    say(f"built {info.tasks} tasks in {info.build_seconds} s")
    return info


def bench_admin(engine: Engine, root_unit_id: int) -> str:
    """An administrator at the root, made by the product's own use cases; a fresh password
    each run. Returns the password."""
    from api.auth import hash_password, set_password
    from tracking import units
    from tracking.audit import Actor

    password = "Bench-" + secrets.token_urlsafe(18)
    actor = Actor(name="bench")
    with Session(engine) as session:
        user = units.find_user(session=session, username=ADMIN_USERNAME)
        if user is None:
            units.create_user(
                session=session,
                actor=actor,
                username=ADMIN_USERNAME,
                full_name="Quản trị viên đo hiệu năng",
                unit=units.get(session=session, unit_id=root_unit_id),
                role=Role.ADMIN,
                password_hash=hash_password(password=password, username=ADMIN_USERNAME),
            )
        else:
            set_password(session=session, actor=actor, user=user, password=password)
        session.commit()
    return password


def text_term(engine: Engine, unit_id: int) -> str:
    """A word to search for: of the words of the unit's first 20 task titles, the one fewest
    of its first 200 titles contain (the longest of those), so the search finds a few."""
    with Session(engine) as session:
        titles = session.exec(
            select(Task.title).where(Task.lead_unit_id == unit_id).order_by(col(Task.id)).limit(200)
        ).all()
    lowered = [title.lower() for title in titles]
    words: set[str] = {w for title in titles[:20] for w in re.findall(r"\w{3,}", title)}
    if not words:
        return "Nhiệm"
    return min(words, key=lambda w: (sum(w.lower() in t for t in lowered), -len(w), w))


def task_list_paths(info: WorldInfo, term: str) -> dict[str, str]:
    as_of = date.fromisoformat(info.as_of)
    base = f"{load.API}/tasks?as_of={as_of}&limit=100"
    week = f"category=in_progress&due_from={as_of}&due_to={as_of + timedelta(days=7)}"
    filters = {"overdue": "category=overdue", "due_7_days": week, "text": f"q={quote(term)}"}
    where = {
        "unit": f"unit={info.sample_commune_id}",
        "province": f"unit={info.sample_province_id}&include_subtree=true",
    }
    return {
        f"{scope}_{name}": f"{base}&{unit}&{condition}"
        for scope, unit in where.items()
        for name, condition in filters.items()
    }


def measure_http(
    *,
    engine: Engine,
    info: WorldInfo,
    plan: Plan,
    environment: dict[str, str],
    folder: Path,
    generator: str,
    results: Results,
    http: dict[str, Any],
) -> None:
    password = bench_admin(engine, info.root_unit_id)
    term = text_term(engine, info.sample_commune_id)
    # One API process per core, as a province would run it (`nhiemvu serve --workers`).
    workers = os.cpu_count() or 1
    with load.running_server(
        environment=environment, log=folder / "serve.log", workers=workers
    ) as server:
        http["server_workers"] = workers
        http["server_start_ms"] = server.start_ms
        client = load.Client(server.port)
        client.log_in(ADMIN_USERNAME, password)
        stats: dict[str, Any] = {}
        http["stats"] = stats
        targets = {"commune": info.sample_commune_id, "province": info.sample_province_id}
        if info.root_unit_id != info.sample_province_id:
            targets["root"] = info.root_unit_id
        for name, unit_id in targets.items():
            with results.section(name, into=stats) as values:
                path = f"{load.API}/stats?unit={unit_id}&as_of={info.as_of}"
                answer, first_ms = client.get_json(path)
                summary, _ = load.sequential(client, path, plan.stats_requests)
                values.update(
                    unit_id=unit_id,
                    total=answer["total"],
                    first_ms=rounded(first_ms),
                    **summary,
                )
        use_wrk = generator == "wrk" or (generator == "auto" and load.wrk_version())
        run_load: Callable[..., dict[str, Any]] = (
            load.load_with_wrk if use_wrk else load.load_with_python
        )
        scenarios: dict[str, Any] = {}
        http["task_list"] = {
            "load_generator": load.wrk_version() if use_wrk else "python (bench/load.py)",
            "clients": CLIENTS,
            "seconds": plan.load_seconds,
            "text_term": term,
            "scenarios": scenarios,
        }
        for name, path in task_list_paths(info, term).items():
            with results.section(name, into=scenarios) as values:
                answer, first_ms = client.get_json(path)
                summary, _ = load.sequential(client, path, plan.warm_up_requests)
                values.update(
                    path=path,
                    matching=answer["total"],
                    first_ms=rounded(first_ms),
                    sequential=summary,
                )
                values.update(
                    run_load(
                        port=server.port,
                        path=path,
                        token=client.token,
                        clients=CLIENTS,
                        seconds=plan.load_seconds,
                    )
                )
        client.close()


def measure_delivery(
    engine: Engine, environment: dict[str, str], folder: Path, values: dict[str, Any]
) -> None:
    from bench.zalo_sink import local_zalo_api

    values["digests_before"] = measure.digests_by_kind(engine)
    values["zalo_accounts_authorised"] = measure.authorise_zalo_accounts(engine)
    with local_mail_server(folder / "mail") as sink, local_zalo_api() as zalo:
        delivered = measure.run_in_fresh_process(
            ["deliver"],
            environment={
                **environment,
                "NHIEMVU_SMTP_HOST": sink.host,
                "NHIEMVU_SMTP_PORT": str(sink.port),
                "NHIEMVU_SMTP_TLS": "false",
                "NHIEMVU_SMTP_USER": "",
                "NHIEMVU_SMTP_PASSWORD": "",
                "NHIEMVU_ZALO_API_BASE": zalo.base_url,
                "NHIEMVU_ZALO_OAUTH_BASE": zalo.base_url,
                "NHIEMVU_ZNS_API_BASE": zalo.base_url,
            },
            timeout=4 * 3600,
        )
        values.update(delivered)
        values["received"] = {"email": sink.handler.received, "zalo": zalo.counts.messages}
    values["digests_after"] = measure.digests_by_kind(engine)


def run(arguments: argparse.Namespace, database_url: str, folder: Path) -> Results:
    plan = Plan.of(arguments)
    results = Results()
    started = datetime.now(UTC)
    results.data["run"] = {
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "quick": arguments.quick,
        "load_seconds": plan.load_seconds,
        "clients": CLIENTS,
        "database_url": (
            make_url(arguments.database_url).render_as_string(hide_password=True)
            if arguments.database_url
            else "sqlite (a fresh file in a temporary folder)"
        ),
        "reused_world": arguments.reuse,
        "started_at": started.isoformat(timespec="seconds"),
    }
    environment = environment_for(database_url)
    os.environ.update(environment)
    get_settings.cache_clear()
    engine = make_engine(database_url)
    results.data["machine"] = machine.facts(engine)
    info = prepare_world(engine, arguments, results)
    results.data["world"] = dataclasses.asdict(info)
    as_of = date.fromisoformat(info.as_of)

    measurements: dict[str, Callable[[dict[str, Any]], None]] = {
        "planning": lambda values: values.update(
            measure.run_in_fresh_process(
                [
                    "plan",
                    f"--database-url={database_url}",
                    f"--as-of={as_of}",
                    f"--reruns={plan.plan_reruns}",
                ],
                environment=environment,
                timeout=4 * 3600,
            )
        ),
        "delivery": lambda values: measure_delivery(engine, environment, folder, values),
        "report": lambda values: values.update(
            measure.draft_annual_report(
                engine=engine, unit_id=info.sample_province_id, as_of=as_of, runs=plan.report_runs
            )
        ),
        "cli": lambda values: values.update(
            measure.cli_start(environment=environment, runs=plan.cli_runs)
        ),
        "http": lambda values: measure_http(
            engine=engine,
            info=info,
            plan=plan,
            environment=environment,
            folder=folder,
            generator=arguments.load_generator,
            results=results,
            http=values,
        ),
    }
    for name, measurement in measurements.items():
        if name not in arguments.skip:
            with results.section(name) as values:
                measurement(values)
    engine.dispose()
    finished = datetime.now(UTC)
    results.data["run"].update(
        finished_at=finished.isoformat(timespec="seconds"),
        seconds=round((finished - started).total_seconds(), 1),
        load_average_at_end=machine.load_average(),
    )
    return results


def results_path(data: dict[str, Any]) -> Path:
    world = data["world"]
    name = world["world"]
    if world.get("stress"):
        name += "-stress"
    if world["tasks"] != TASKS.get(world["world"]):
        name += f"-{world['tasks']}tasks"
    stamp = datetime.fromisoformat(data["run"]["started_at"]).strftime("%Y-%m-%dT%H%M")
    return RESULTS / f"{name}-{data['machine']['database']}-{stamp}.json"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--world", choices=["province", "country"], default="province")
    parser.add_argument("--tasks", type=int, default=None, help="override the world's tasks")
    parser.add_argument("--stress", action="store_true", help="the 40 %% never-done mix")
    parser.add_argument("--seed", type=int, default=20211102)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--reuse", action="store_true", help="measure the world already built")
    parser.add_argument("--world-info", default=None, help="with --reuse: adopt this WorldInfo")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/results/…")
    parser.add_argument("--quick", action="store_true", help="shorter load, fewer repeats")
    parser.add_argument("--duration", type=float, default=None, help="seconds of load")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=SECTIONS,
        help="leave a measurement out (repeatable; delivery sends what planning planned)",
    )
    arguments = parser.parse_args()
    # A plain `kill` unwinds like Ctrl-C: the server is stopped and the temporary folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if arguments.reuse and not arguments.database_url:
        parser.error("--reuse needs --database-url")
    with tempfile.TemporaryDirectory(prefix="nhiemvu-bench-") as folder:
        database_url = arguments.database_url or f"sqlite:///{folder}/bench.db"
        results = run(arguments, database_url, Path(folder))
    text = json.dumps(results.data, ensure_ascii=False, indent=2)
    out = arguments.out or results_path(results.data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
    say(f"written {out}")
    if results.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
