"""`nhiemvu serve`: the API and the scheduled flows in one process (the embedded default).

The API runs under uvicorn in a thread; Prefect's serve() of every deployment runs in the main
thread, where it handles SIGINT/SIGTERM; when it returns, the API is stopped too. Without
PREFECT_API_URL, Prefect starts its own local server on SQLite under data_dir/prefect.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flows.deployments import deployments

log = logging.getLogger(__name__)


def serve_with_api(*, app: Any, host: str, port: int) -> None:
    """Serve the API and all flows until interrupted."""
    import uvicorn
    from prefect import serve

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port))
    api = threading.Thread(target=server.run, name="nhiemvu-api", daemon=True)
    api.start()
    try:
        serve(*deployments(), print_starting_message=False)
    finally:
        server.should_exit = True
        api.join(timeout=15)
        if api.is_alive():
            log.warning("the API did not stop within 15 s")
