"""channel URLs and Zalo tokens encrypted at rest; channel uniqueness on a keyed digest

Revision ID: 0008
Revises: 0004

Existing rows are encrypted here with the keys of the running settings
(NHIEMVU_ENCRYPTION_KEYS or data_dir/encryption.key), so run it with the service's settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.encryption import decrypt, digest, encrypt

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, columns holding a secret) as they were before this revision: plain text.
SECRET_COLUMNS = (
    ("contactchannel", ("url",)),
    ("notification", ("channel_url",)),
    ("zalotoken", ("access_token", "refresh_token")),
)
# SQLite keeps the old (user_id, url) unique constraint unnamed; batch mode needs a name.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
# The old constraint's name: (SQLite, by NAMING), (PostgreSQL's default).
OLD_UNIQUE = ("uq_contactchannel_user_id_url", "contactchannel_user_id_url_key")


def _encrypt_rows(connection: sa.Connection, table: str, columns: tuple[str, ...]) -> None:
    names = ", ".join(columns)
    rows = connection.execute(sa.text(f"SELECT id, {names} FROM {table}")).all()
    for row in rows:
        values = {column: encrypt(getattr(row, column)) for column in columns}
        if table == "contactchannel":
            values["url_digest"] = digest(row.url)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        connection.execute(
            sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"), {**values, "id": row.id}
        )


def _decrypt_rows(connection: sa.Connection, table: str, columns: tuple[str, ...]) -> None:
    names = ", ".join(columns)
    for row in connection.execute(sa.text(f"SELECT id, {names} FROM {table}")).all():
        values = {column: decrypt(getattr(row, column)) for column in columns}
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        connection.execute(
            sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"), {**values, "id": row.id}
        )


def upgrade() -> None:
    with op.batch_alter_table("contactchannel", naming_convention=NAMING) as batch_op:
        batch_op.add_column(
            sa.Column("url_digest", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.alter_column("url", type_=sa.Text(), existing_nullable=False)
    with op.batch_alter_table("notification") as batch_op:
        batch_op.alter_column("channel_url", type_=sa.Text(), existing_nullable=False)
    with op.batch_alter_table("zalotoken") as batch_op:
        batch_op.alter_column("access_token", type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column("refresh_token", type_=sa.Text(), existing_nullable=False)

    connection = op.get_bind()
    for table, columns in SECRET_COLUMNS:
        _encrypt_rows(connection, table, columns)

    with op.batch_alter_table("contactchannel", naming_convention=NAMING) as batch_op:
        batch_op.alter_column(
            "url_digest",
            server_default=None,
            existing_nullable=False,
            existing_type=sa.String(length=64),
        )
        batch_op.drop_constraint(
            OLD_UNIQUE[connection.dialect.name == "postgresql"], type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_contactchannel_user_id_url_digest", ["user_id", "url_digest"]
        )


def downgrade() -> None:
    """Back to plain text (with the keys of the running settings) and (user_id, url)."""
    connection = op.get_bind()
    for table, columns in SECRET_COLUMNS:
        _decrypt_rows(connection, table, columns)
    with op.batch_alter_table("contactchannel", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_contactchannel_user_id_url_digest", type_="unique")
        batch_op.drop_column("url_digest")
        batch_op.alter_column("url", type_=sa.String(length=1000), existing_nullable=False)
        batch_op.create_unique_constraint(
            OLD_UNIQUE[connection.dialect.name == "postgresql"], ["user_id", "url"]
        )
    with op.batch_alter_table("notification") as batch_op:
        batch_op.alter_column("channel_url", type_=sa.String(length=1000), existing_nullable=False)
    with op.batch_alter_table("zalotoken") as batch_op:
        batch_op.alter_column("access_token", type_=sa.String(length=2000), existing_nullable=False)
        batch_op.alter_column(
            "refresh_token", type_=sa.String(length=2000), existing_nullable=False
        )
