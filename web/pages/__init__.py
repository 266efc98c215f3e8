"""The pages, one module per part of the interface, under one router."""

from __future__ import annotations

from fastapi import APIRouter

from web.pages import account, admin, assign, overview, plans, reminders, reports, tasks

router = APIRouter(include_in_schema=False)
for part in (account, overview, assign, plans, tasks, reports, reminders, admin):
    router.include_router(part.router)
