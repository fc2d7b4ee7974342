"""One encoder and one decoder for every event, reused (msgspec is fastest that way)."""

from __future__ import annotations

from typing import Any

import msgspec

from events import AnyEvent, Event

# Deterministic key order so that a config dict always encodes to the same bytes.
_encoder = msgspec.msgpack.Encoder(order="deterministic")
_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(AnyEvent)
_json_encoder = msgspec.json.Encoder(order="deterministic")


def encoder() -> msgspec.msgpack.Encoder:
    """The shared msgpack encoder."""
    return _encoder


def decoder() -> msgspec.msgpack.Decoder[Any]:
    """The shared msgpack decoder of the event union."""
    return _decoder


def encode(event: Event) -> bytes:
    """Event to msgpack bytes (the log's payload)."""
    return _encoder.encode(event)


def decode(data: bytes | memoryview) -> Event:
    """msgpack bytes to an event."""
    return _decoder.decode(data)  # type: ignore[no-any-return]


def event_type_name(event: Event) -> str:
    """The tag of an event (its class name)."""
    return type(event).__name__


def to_json_line(seq: int, event: Event) -> bytes:
    """A human-readable JSON line: {"seq": n, "type": "Trade", ...fields}."""
    body = msgspec.to_builtins(event)
    if isinstance(body, list):  # array_like: rebuild field names for humans
        fields = event.__struct_fields__
        body = dict(zip(("type", *fields), body, strict=True))
    return _json_encoder.encode({"seq": seq, **body})
