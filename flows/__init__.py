"""Prefect flows (thin) and their schedules; the business code lives in the services.

Importing this package sets Prefect's environment first (flows.environment), because Prefect
reads its settings when it is imported.
"""

from flows.environment import configure as _configure

_configure()
