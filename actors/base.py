"""What every actor is: a plain object with a synchronous, pure handler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from events import Event

#: Returned by handlers that emit nothing (shared, so no list is allocated per event).
NOTHING: tuple[Event, ...] = ()


class Actor(Protocol):
    """An actor owns its state and changes it only in reaction to events.

    ``handle`` must not read the wall clock, global random state or do I/O: time comes
    from ``event.ts`` and randomness from a generator seeded by the session seed.
    """

    name: ClassVar[str]
    consumes: ClassVar[tuple[type[Event], ...]]

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the events emitted, in order."""
        ...
