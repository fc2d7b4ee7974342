"""The data frames of Hyperliquid's websocket as typed msgspec structs.

Only the four channels the feed reads are typed, each frame as one struct tagged by
``channel``. Unknown extra keys are ignored: the server adds fields over time.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec


class WsLevel(msgspec.Struct, frozen=True, gc=False):
    """One price level; ``n`` (order count) is optional because nothing downstream uses it."""

    px: float
    sz: float
    n: int = 0


class WsBook(msgspec.Struct, frozen=True, gc=False):
    coin: str
    time: int
    levels: tuple[list[WsLevel], list[WsLevel]]


class WsBbo(msgspec.Struct, frozen=True, gc=False):
    coin: str
    time: int
    bbo: tuple[WsLevel | None, WsLevel | None]


class WsTrade(msgspec.Struct, frozen=True, gc=False):
    coin: str
    side: Literal["B", "A"]
    px: float
    sz: float
    time: int
    tid: int


class WsAllMids(msgspec.Struct, frozen=True, gc=False):
    # Values stay raw so only the session coin's mid is converted out of ~500.
    mids: dict[str, msgspec.Raw]
    dex: str | None = None


class L2BookFrame(msgspec.Struct, frozen=True, gc=False, tag_field="channel", tag="l2Book"):
    data: WsBook


class BboFrame(msgspec.Struct, frozen=True, gc=False, tag_field="channel", tag="bbo"):
    data: WsBbo


class TradesFrame(msgspec.Struct, frozen=True, gc=False, tag_field="channel", tag="trades"):
    data: list[WsTrade]


class AllMidsFrame(msgspec.Struct, frozen=True, gc=False, tag_field="channel", tag="allMids"):
    data: WsAllMids


class Envelope(msgspec.Struct, frozen=True):
    """Just enough of any frame to route it when the typed decode failed."""

    channel: str


DATA_CHANNELS: Final = frozenset({"l2Book", "bbo", "trades", "allMids"})
