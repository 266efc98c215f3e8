"""HTTP API (FastAPI) over the tracking services, versioned under /api/v1."""
