"""Pieces several pages share: unit names, the reach's units, a redirect with a message."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlmodel import Session
from starlette.responses import RedirectResponse

from models import Unit
from tracking import units as units_service
from tracking.access import Principal, in_reach


@dataclass(frozen=True)
class UnitDirectory:
    """The published unit tree (every signed-in user reads it), indexed by id."""

    units: list[Unit]

    @classmethod
    def load(cls, session: Session) -> UnitDirectory:
        return cls(units_service.list_units(session=session))

    def name(self, unit_id: int | None) -> str:
        unit = self.by_id.get(unit_id or 0)
        return unit.name if unit else ""

    @property
    def by_id(self) -> dict[int, Unit]:
        return {unit.id or 0: unit for unit in self.units}

    def within_reach(self, principal: Principal) -> list[Unit]:
        return [u for u in self.units if in_reach(principal=principal, unit=u)]

    def children(self, unit: Unit) -> list[Unit]:
        return [u for u in self.units if u.parent_id == unit.id]

    def top(self, principal: Principal) -> Unit:
        """The unit a user's overview starts at: their reach; an administrator's is the top
        of the tree."""
        if principal.is_admin:
            return next((u for u in self.units if u.parent_id is None), principal.reach)
        return principal.reach


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """After a change: back to a page (POST, redirect, GET) with a message to show once."""
    request.session["flash"] = message
    return RedirectResponse(target, status_code=303)
