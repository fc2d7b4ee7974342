"""The graph's state at a point of a replay: every actor's snapshot as plain data.

A ``ReplayState`` is what ``Stepper.state()`` returns: each actor's ``snapshot()`` (or
``statistics()``) turned into dicts, lists and scalars, and the last record of each event
type, so that it can be printed, compared (``snapshots_equal``) or encoded as JSON.
"""

from __future__ import annotations

from typing import Any

import attrs
import msgspec

from events import Event
from replay.time_specs import format_ts


def plain(value: Any) -> Any:
    """Plain data (dicts, lists, scalars) of a snapshot made of dicts, attrs classes,
    msgspec structs (field names kept even when array_like) and numpy arrays."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, msgspec.Struct):
        return {f: plain(getattr(value, f)) for f in value.__struct_fields__}
    if attrs.has(type(value)):
        return {a.name: plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and not isinstance(value, int | float | str | bytes):
        return tolist()
    return value


def actor_snapshot(actor: Any) -> dict[str, Any]:
    """An actor's ``snapshot()`` (or else its ``statistics()``) as plain data; {} if neither."""
    for method in ("snapshot", "statistics"):
        fn = getattr(actor, method, None)
        if callable(fn):
            data = plain(fn())
            return data if isinstance(data, dict) else {"value": data}
    return {}


@attrs.frozen
class ReplayState:
    """Every actor's state after record ``seq`` (the end of an input's cascade)."""

    #: The record asked for (None when asked by time or for the end).
    requested_seq: int | None
    #: The last record applied: the end of the cascade that contains ``requested_seq``.
    seq: int
    #: Event time of the last record applied.
    ts: int
    start_ns: int
    external: int
    #: actor name -> snapshot(), in the graph's delivery order.
    actors: dict[str, dict[str, Any]]
    #: type name -> (seq, event) of the last record of that type up to ``seq``.
    last: dict[str, tuple[int, Event]]

    def last_event(self, type_name: str) -> Event | None:
        found = self.last.get(type_name)
        return None if found is None else found[1]

    def to_builtins(self) -> dict[str, Any]:
        """Plain data (JSON-encodable; NaN becomes null under JSON)."""
        return {
            "requested_seq": self.requested_seq,
            "seq": self.seq,
            "ts": self.ts,
            "time": format_ts(self.ts),
            "external": self.external,
            "actors": self.actors,
            "last": {
                name: {"seq": seq, **event_fields(event)} for name, (seq, event) in sorted(self.last.items())
            },
        }


def event_fields(event: Event) -> dict[str, Any]:
    """An event as a dict of its fields by name, its tag under ``type`` (also when array_like)."""
    body = msgspec.to_builtins(event)
    if isinstance(body, list):
        return dict(zip(("type", *event.__struct_fields__), body, strict=True))
    return dict(body)


def snapshots_equal(a: Any, b: Any) -> bool:
    """Deep equality of plain data where NaN equals NaN (a mid before any book is NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(snapshots_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(snapshots_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and bool(a == b)
