"""Pieces several pages share: unit names, the reach's units, a redirect with a message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from models import Unit
from tracking import units as units_service
from tracking.access import Principal, in_reach
from tracking.errors import DomainError
from web.forms import FormState


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


def submit(
    request: Request,
    session: Session,
    form: FormState,
    change: Callable[[], object],
    again: Callable[[], Response],
    *,
    target: str,
    message: Callable[[], str],
    fields: dict[str, str] | None = None,
) -> Response:
    """The end of a form's POST: with the input fine, make the change (a refusal lands at its
    field, `fields` naming the form's field for the service's); with any error show the page
    again (`again`, input kept), else commit and go to `target` with the message."""
    if form.ok:
        try:
            change()
        except DomainError as error:
            session.rollback()
            form.add_domain(error, fields)
    if not form.ok:
        return again()
    session.commit()
    return done(request, target, message())
