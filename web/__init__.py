"""The web interface: Vietnamese pages beside the API, served by the same FastAPI app.

Pages call the same services (tracking/, reports/, notifications/) and the same access rules
(tracking/access.py) as the API; they work without JavaScript, and htmx only shortens a few
round trips.
"""
