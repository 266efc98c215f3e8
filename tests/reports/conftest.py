"""Report tests: the PostgreSQL half truncates every table, seeded report types included, so
the shipped ones are put back (the same rows migration 0003 seeds)."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from reports.periods import install_default_report_types


@pytest.fixture
def session(session: Session) -> Iterator[Session]:
    install_default_report_types(session=session)
    session.commit()
    yield session
