"""Prefect's environment, set before Prefect is first imported (its settings are read then).

Offline by default: no telemetry (DO_NOT_TRACK, server analytics off). Without PREFECT_API_URL
the service runs Prefect embedded: its own SQLite database under the project's data folder and
a local server that may take a while to start on a slow machine. Variables already set by the
operator win, so a province points PREFECT_API_URL at its Prefect server and nothing else here
applies.
"""

from __future__ import annotations

import os
from pathlib import Path

from settings import Settings, get_settings


def prefect_home(settings: Settings) -> Path:
    return (settings.prefect_home or settings.data_dir / "prefect").resolve()


def prefect_environment(settings: Settings) -> dict[str, str]:
    """The variables the project sets for Prefect (operator-set ones are kept)."""
    values = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(
            settings.prefect_startup_timeout_seconds
        ),
    }
    if not os.environ.get("PREFECT_API_URL"):
        home = Path(os.environ.get("PREFECT_HOME") or prefect_home(settings))
        values.update(
            {
                "PREFECT_HOME": str(home),
                "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
                "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
            }
        )
    return values


def configure(settings: Settings | None = None) -> dict[str, str]:
    """Put the project's Prefect variables into os.environ where not set; returns them."""
    values = prefect_environment(settings or get_settings())
    for name, value in values.items():
        os.environ.setdefault(name, value)
    if "PREFECT_HOME" in values:
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
        Path(values["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    return values
