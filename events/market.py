"""Market events: external inputs that come from a feed."""

from __future__ import annotations

from typing import Literal

from events.base import Event

#: Aggressor side of a trade, as Hyperliquid writes it: B = taker bought, A = taker sold.
AggressorSide = Literal["B", "A"]


class BookSnapshot(Event, frozen=True):
    """A complete L2 book: bids best (highest) first, asks best (lowest) first."""

    coin: str
    bid_px: tuple[float, ...]
    bid_sz: tuple[float, ...]
    ask_px: tuple[float, ...]
    ask_sz: tuple[float, ...]
    exchange_ts: int = 0

    @property
    def mid(self) -> float:
        """Mid of the touch; NaN when a side is empty."""
        if not self.bid_px or not self.ask_px:
            return float("nan")
        return 0.5 * (self.bid_px[0] + self.ask_px[0])


class Bbo(Event, frozen=True):
    """Best bid and offer; a side is 0.0 in price and size when it is empty."""

    coin: str
    bid_px: float
    bid_sz: float
    ask_px: float
    ask_sz: float
    exchange_ts: int = 0


class Trade(Event, frozen=True):
    """One trade printed on the exchange. ``side`` is the aggressor's."""

    coin: str
    px: float
    sz: float
    side: AggressorSide
    tid: int
    exchange_ts: int = 0


class Mids(Event, frozen=True):
    """The exchange's mid price for the session's coin."""

    coin: str
    mid: float
    exchange_ts: int = 0


FeedState = Literal["connected", "disconnected", "reconnecting", "stale", "fresh", "ended"]


class FeedStatus(Event, frozen=True):
    """A change in the feed's health."""

    status: FeedState
    detail: str = ""


class Heartbeat(Event, frozen=True):
    """The wall clock, admitted as an input so that time-based gates replay exactly."""

    wall_ns: int = 0
