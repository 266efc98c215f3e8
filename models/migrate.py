"""Run the Alembic migrations programmatically (`nhiemvu init`, every command, tests)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# `revision = "0008"` and `down_revision = "0007"` as every script in versions/ declares them.
_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE
)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision() -> str | None:
    """The newest migration, read from the scripts' declarations without loading Alembic
    (which takes a noticeable part of a short command's time); None if there is no single
    head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return False
        stamped = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    head = head_revision()
    return head is not None and [row[0] for row in stamped] == [head]


def upgrade(engine: Engine) -> None:
    if is_at_head(engine):
        return
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Autogenerate a migration against a database at head (developer tool)."""
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
