"""Runs side by side as a Markdown table, for README.md:

    python -m bench.table bench/results/A.json bench/results/B.json …

Rows are the measurements, columns the runs (in the order given). A measurement a run did
not make is "–"; one that failed is "failed".
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = tuple[str, Callable[[dict[str, Any]], str]]
MISSING = "–"


def ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _at(data: dict[str, Any], *path: str) -> Any:
    """The value at a path, None when absent; raises _Failed where a measurement failed."""
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return None
        if "error" in node:
            raise _Failed
        node = node.get(key)
    if isinstance(node, dict) and "error" in node:
        raise _Failed
    return node


class _Failed(Exception):
    pass


def cell(data: dict[str, Any], show: Callable[[dict[str, Any]], str]) -> str:
    try:
        return show(data)
    except _Failed:
        return "failed"
    except (KeyError, TypeError):
        return MISSING


def _timing(*path: str) -> Callable[[dict[str, Any]], str]:
    def show(data: dict[str, Any]) -> str:
        summary = _at(data, *path)
        if summary is None:
            return MISSING
        return f"{ms(summary['median_ms'])} (p95 {ms(summary['p95_ms'])})"

    return show


def _planning(data: dict[str, Any]) -> str:
    p = _at(data, "planning")
    return f"{ms(p['first_run_ms'])} / {ms(p['rerun']['median_ms'])}"


def _planning_counts(data: dict[str, Any]) -> str:
    p = _at(data, "planning")
    return f"{p['tasks_in_window']:,} / {p['reminders']:,} / {p['digests']:,}"


def _memory(data: dict[str, Any]) -> str:
    p = _at(data, "planning")
    return f"{p['peak_rss_mb']:.0f} MB (+{p['peak_rss_above_start_mb']:.0f} MB)"


def _delivery(data: dict[str, Any]) -> str:
    d = _at(data, "delivery")
    failed = d["failed"] + d["dead"]
    return f"{number(d['messages_per_s'])}/s ({d['sent']:,} sent, {failed} failed)"


def _report(data: dict[str, Any]) -> str:
    r = _at(data, "report")
    return (
        f"{ms(r['total']['median_ms'])} "
        f"({ms(r['figures']['median_ms'])} + docx {ms(r['docx']['median_ms'])})"
    )


def _scenario(name: str) -> Callable[[dict[str, Any]], str]:
    def show(data: dict[str, Any]) -> str:
        s = _at(data, "http", "task_list", "scenarios", name)
        if s is None:
            return MISSING
        errors = s["errors"]["non_2xx"] + s["errors"]["socket"] + s["errors"]["timeouts"]
        if not s["requests"]:  # each took longer than the load ran: what one took alone
            return (
                f"none finished in {s['seconds']:g} s; alone {ms(s['sequential']['median_ms'])} "
                f"({s['matching']:,} match)"
            )
        text = (
            f"{number(s['req_per_s'])} req/s, p50 {ms(s['p50_ms'])}, p95 {ms(s['p95_ms'])}, "
            f"p99 {ms(s['p99_ms'])}"
        )
        return text + (f", {errors} errors" if errors else "") + f" ({s['matching']:,} match)"

    return show


def _world(data: dict[str, Any]) -> str:
    w = data["world"]
    return f"{w['world']}{' (stress)' if w.get('stress') else ''}, {w['tasks']:,} tasks"


def _machine(data: dict[str, Any]) -> str:
    m = data["machine"]
    load = m.get("load_average_at_start") or [0.0]
    return f"{m['nproc']} cores, {m['ram_mb'] / 1024:.0f} GB, load {load[0]:.1f}"


SCENARIOS = {
    "unit_overdue": "one unit, overdue",
    "unit_due_7_days": "one unit, in progress due within 7 days",
    "unit_text": "one unit, text search",
    "province_overdue": "province subtree, overdue",
    "province_due_7_days": "province subtree, in progress due within 7 days",
    "province_text": "province subtree, text search",
}

ROWS: list[Row] = [
    ("world", _world),
    (
        "database",
        lambda d: f"{d['machine']['database']} {d['machine']['database_version']}",
    ),
    (
        "date (UTC), commit",
        lambda d: f"{d['run']['started_at'][:16]}, {d['machine']['git_commit'][:8]}",
    ),
    ("machine", _machine),
    ("reminder planning, first run / re-run", _planning),
    ("  tasks in window / reminders / digests", _planning_counts),
    ("  peak memory (rise during planning)", _memory),
    ("delivery of the day's digests", _delivery),
    ("/stats, a commune", _timing("http", "stats", "commune")),
    ("/stats, a province", _timing("http", "stats", "province")),
    ("/stats, the country", _timing("http", "stats", "root")),
    ("annual report of a province (figures + docx)", _report),
    *[(f"task list: {label}", _scenario(name)) for name, label in SCENARIOS.items()],
    ("`nhiemvu --help`", _timing("cli", "help")),
    ("`nhiemvu calendar due …`", _timing("cli", "calendar_due")),
]


def _size(tasks: int) -> str:
    if tasks >= 1_000_000:
        return f"{tasks / 1_000_000:g}M"
    return f"{tasks / 1000:g}k" if tasks >= 1000 else str(tasks)


def _column(data: dict[str, Any]) -> str:
    return (
        f"{data['world']['world']} {_size(data['world']['tasks'])}, {data['machine']['database']}"
    )


def markdown(runs: list[dict[str, Any]]) -> str:
    header = ["", *(_column(r) for r in runs)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for label, show in ROWS:
        lines.append("| " + " | ".join([label, *(cell(r, show) for r in runs)]) + " |")
    load = {r["http"]["task_list"]["load_generator"].split(" ")[0] for r in runs if _has_load(r)}
    seconds = {r["run"]["load_seconds"] for r in runs}
    lines.append("")
    lines.append(
        f"Task list: {runs[0]['run']['clients']} concurrent clients for "
        f"{'/'.join(f'{s:g}' for s in sorted(seconds))} s each ({', '.join(sorted(load))}); "
        "/stats: median (p95) of sequential requests; commands: "
        + "; ".join(f"`{r['run']['command']}`" for r in runs)
    )
    return "\n".join(lines)


def _has_load(data: dict[str, Any]) -> bool:
    try:
        return bool(data["http"]["task_list"]["load_generator"])
    except (KeyError, TypeError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    arguments = parser.parse_args()
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in arguments.files]
    print(markdown(runs))


if __name__ == "__main__":
    main()
