"""`python -m cli`, the same as the `nhiemvu` command."""

from cli import app

app()
