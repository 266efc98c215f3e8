"""The two kinds of model every schema module defines: a request body, which refuses fields it
does not know (a misspelt field is an error, not silently ignored), and an answer read from a
stored row."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from api.deps import Version


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionedBody(Body):
    # The version of the row the caller saw: a change to a newer row is refused as stale.
    version: Version


class FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)
