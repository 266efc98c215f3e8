"""The deployments served by `nhiemvu serve` (embedded): one per flow, on the schedules in
Settings, in the local time zone. A province deploys the same flows with prefect.yaml."""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.daily import daily_sweep, delivery, report_drafting
from settings import Settings, get_settings


def _built(deployment: Any) -> RunnerDeployment:
    """to_deployment answers a RunnerDeployment when called outside an event loop."""
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def deployments(settings: Settings | None = None) -> list[RunnerDeployment]:
    settings = settings or get_settings()
    zone = settings.timezone
    built = [
        daily_sweep.to_deployment(
            name="nhiemvu-sweep", schedule=Cron(settings.sweep_cron, timezone=zone)
        ),
        delivery.to_deployment(
            name="nhiemvu-delivery", schedule=Cron(settings.delivery_cron, timezone=zone)
        ),
        report_drafting.to_deployment(
            name="nhiemvu-drafting", schedule=Cron(settings.drafting_cron, timezone=zone)
        ),
    ]
    return [_built(d) for d in built]
