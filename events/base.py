"""The base struct every event derives from."""

from __future__ import annotations

from typing import Final

import msgspec

#: Event time is integer nanoseconds since the epoch: these convert.
MS_NS: Final = 1_000_000
SEC_NS: Final = 1_000_000_000
DAY_NS: Final = 86_400 * SEC_NS

#: The version of the events a session logs, in SessionStarted. Bumped whenever an
#: event's fields change incompatibly *or* a derived event gains a field: an older log
#: still decodes then (fields are append-only, array_like) but its derived events can no
#: longer be reproduced bit for bit, so replay refuses it with the reason (SCHEMA_CHANGES).
SCHEMA_VERSION = 2

#: What each version changed, for the error an older log gets.
SCHEMA_CHANGES: dict[int, str] = {
    2: "CalibrationRecord carries the cycle's ladder, oids and fills (LevelFill); QuoteCycle.oids",
}


class Event(msgspec.Struct, frozen=True, tag=True, array_like=True, gc=False):
    """A fact of the session. ``ts`` is event time in integer nanoseconds since the epoch."""

    ts: int


class Record(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A value nested inside an event (never logged on its own)."""
