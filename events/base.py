"""The base struct every event derives from."""

from __future__ import annotations

import msgspec

#: Bumped whenever an event's fields change incompatibly. Fields are append-only
#: (the log uses array_like encoding), so a new field with a default keeps the version.
SCHEMA_VERSION = 1


class Event(msgspec.Struct, frozen=True, tag=True, array_like=True, gc=False):
    """A fact of the session. ``ts`` is event time in integer nanoseconds since the epoch."""

    ts: int


class Record(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A value nested inside an event (never logged on its own)."""
