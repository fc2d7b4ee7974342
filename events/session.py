"""Session bookkeeping: the first and last records of every log, checkpoints, bad input."""

from __future__ import annotations

from typing import Any

from events.base import Event


class SessionStarted(Event, frozen=True):
    """First record of every log. ``session_id`` and ``wall_ns`` come from the wall clock."""

    session_id: str
    asset: str
    feed: str
    seed: int
    config: dict[str, Any]
    package_version: str
    schema_version: int
    wall_ns: int


class SessionEnded(Event, frozen=True):
    """Last record of a cleanly ended session."""

    reason: str
    records: int


class InputRejected(Event, frozen=True):
    """A frame or event the feed refused, kept so that nothing is lost silently."""

    kind: str
    detail: str


class CheckpointSaved(Event, frozen=True):
    """A checkpoint was written atomically; ``digest`` is its SHA-256."""

    path: str
    digest: str
