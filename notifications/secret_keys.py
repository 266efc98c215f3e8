"""Key rotation for the secrets at rest (channel URLs, outbox copies, Zalo tokens).

To rotate: put a new key first in NHIEMVU_ENCRYPTION_KEYS (keeping the old ones after it),
restart, run `nhiemvu secrets rotate` (every encrypted value is re-encrypted with the first
key and the channels' digests recomputed with it), then drop the old keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from models import ContactChannel
from models.encryption import EncryptedText, digest, rotate
from tracking.audit import SYSTEM, Actor, record


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
