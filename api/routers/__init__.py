"""Routers: parse, authorise, call a service, shape the response."""
