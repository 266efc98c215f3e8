"""Property-based run over the whole OpenAPI description, in process, as an administrator.

Checks: no server error, every status documented, content types and response bodies match
the description. Not run: positive_data_acceptance (schema-valid input may still break a
business rule and rightly get 422, e.g. a deadline before the assignment date) and
negative_data_rejection (FastAPI coerces some schema-invalid scalars, e.g. "5" for 5).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from models import Role
from models.db import make_engine
from notifications import delivery
from reports import pdf
from settings import Environment, Settings
from tests.api.conftest import TEST_SECRET, World

MAX_EXAMPLES = 10  # per operation and backend: keeps tests/api near 90 s on two cores

# The description does not depend on the database, so the schema is loaded at import time
# (schemathesis' lazy fixture loader does not work with pytest 9); the app's engine and
# settings are swapped for each backend's world by the fixture below.
app = create_app(
    settings=Settings(environment=Environment.TEST, secret_key=TEST_SECRET),
    engine=make_engine("sqlite://"),
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.fixture
def backend(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # Generated requests never leave the machine (a generated Apprise URL could name any
    # host), and PDF export answers its documented 501 instead of running LibreOffice.
    monkeypatch.setattr(
        delivery, "send_one", lambda **_: delivery.SendOutcome(False, "không gửi khi kiểm thử")
    )
    monkeypatch.setattr(pdf, "libreoffice_binary", lambda: None)
    placeholder = app.state.engine
    app.state.engine, app.state.settings = world.engine, world.settings
    yield world
    app.state.engine = placeholder


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_openapi_contract(case: schemathesis.Case, backend: World) -> None:
    # An admin in the sibling unit: sees everything, may do everything, so requests reach
    # the services rather than stopping at authorisation.
    response = case.call(headers=backend.headers("other", Role.ADMIN))
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
