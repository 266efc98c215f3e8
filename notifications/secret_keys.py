"""Key rotation for the secrets at rest (channel URLs, outbox copies, Zalo tokens).

To rotate: put a new key first in NHIEMVU_ENCRYPTION_KEYS (keeping the old ones after it),
restart, run `nhiemvu secrets rotate` (every encrypted value is re-encrypted with the first
key and the channels' digests recomputed with it), then drop the old keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import typer
from cryptography.fernet import Fernet
from sqlmodel import Session, SQLModel, col, select

from models import ContactChannel
from models.encryption import EncryptedText, digest, rotate
from tracking.audit import SYSTEM, Actor, record
from tracking.commandline import CLI_ACTOR, database, friendly_errors


@dataclass(frozen=True)
class RotationResult:
    values: int  # encrypted values re-encrypted
    digests: int  # channel digests recomputed


def _encrypted_columns() -> list[tuple[sa.Table, list[str]]]:
    """Every table column declared EncryptedText (the models are the one list of them)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        names = [c.name for c in table.columns if isinstance(c.type, EncryptedText)]
        if names:
            found.append((table, names))
    return found


def rotate_secrets(*, session: Session, actor: Actor = SYSTEM) -> RotationResult:
    """Re-encrypt every secret with the first key and recompute the channels' digests.
    Reads and writes the stored tokens as they are (no decryption on the way). The caller
    commits."""
    values = 0
    for table, names in _encrypted_columns():
        raw = sa.select(table.c.id, *(sa.type_coerce(table.c[n], sa.Text) for n in names))
        for row in session.execute(raw).all():
            new = {n: rotate(row[i + 1]) for i, n in enumerate(names) if row[i + 1] is not None}
            if new:
                session.execute(
                    sa.update(table)
                    .where(table.c.id == row[0])
                    .values({table.c[n]: sa.type_coerce(v, sa.Text) for n, v in new.items()})
                )
                values += len(new)
    channels = session.exec(select(ContactChannel).order_by(col(ContactChannel.id))).all()
    for channel in channels:
        channel.url_digest = digest(channel.url)
        session.add(channel)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="secrets.rotate",
        entity="secrets",
        entity_id=None,
        after={"values": values, "digests": len(channels)},
    )
    return RotationResult(values=values, digests=len(channels))


secrets_app = typer.Typer(help="Khóa mã hóa dữ liệu bí mật (kênh liên lạc, token Zalo).")


@secrets_app.command("new-key")
def new_key() -> None:
    """In ra một khóa Fernet mới, để đặt ĐẦU danh sách NHIEMVU_ENCRYPTION_KEYS."""
    typer.echo(Fernet.generate_key().decode("ascii"))


@secrets_app.command("rotate")
@friendly_errors
def rotate_command() -> None:
    """Mã hóa lại mọi dữ liệu bí mật bằng khóa đầu tiên của NHIEMVU_ENCRYPTION_KEYS."""
    with database() as session:
        result = rotate_secrets(session=session, actor=CLI_ACTOR)
    typer.echo(
        f"Đã mã hóa lại {result.values} giá trị bí mật và {result.digests} kênh liên lạc "
        "bằng khóa mới; có thể bỏ các khóa cũ khỏi NHIEMVU_ENCRYPTION_KEYS."
    )
