"""The attack tests reuse the API's world (tests/api/conftest.py): same units, users, tokens,
one migrated database per module on SQLite and on PostgreSQL."""

from tests.api.conftest import cheap_password_hashing, module_db_url, world  # noqa: F401
