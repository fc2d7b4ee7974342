"""Quote and order events: what the quote engine wants and what the fill simulator did."""

from __future__ import annotations

from typing import Literal

from events.base import Event, Record

#: Side of one of our orders.
OrderSide = Literal["buy", "sell"]


class QuoteLevel(Record, frozen=True):
    """One rung of the ladder the quote engine wants to rest."""

    side: OrderSide
    level: int
    px: float
    sz: float
    depth_bps: float
    p_fill: float


class QuoteCycle(Event, frozen=True):
    """One decision of the quote engine: the inputs it used and the ladder it wants."""

    cycle: int
    mid: float
    sigma: float
    kappa: float
    gamma: float
    half_spread_bps: float
    skew_bps: float
    position: float
    levels: tuple[QuoteLevel, ...]
    reason: str = "requote"
    #: By level, the order that rests it: one the cycle kept, or the one it places
    #: (its PlaceOrder follows); the engine is the authority on which order is which.
    oids: tuple[int, ...] = ()


class PlaceOrder(Event, frozen=True):
    """Command: rest a post-only limit order."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    level: int
    cycle: int


class CancelOrder(Event, frozen=True):
    """Command: cancel a resting order."""

    oid: int
    reason: str = "requote"


class OrderAccepted(Event, frozen=True):
    """The order was accepted; it rests (can fill) from ``rests_at``."""

    oid: int
    rests_at: int
    queue_ahead: float = 0.0


class OrderRejected(Event, frozen=True):
    """The order was refused and never rested."""

    oid: int
    reason: str


class OrderCanceled(Event, frozen=True):
    """The order left the book without filling completely (canceled or expired)."""

    oid: int
    reason: Literal["canceled", "expired"]
    remaining: float


class Fill(Event, frozen=True):
    """A simulated fill, with every factor of the decision and the uniform draw."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    remaining: float
    level: int
    mid: float
    tid: int
    trade_px: float
    trade_sz: float
    trade_side: str
    touch_probability: float
    price_factor: float
    size_factor: float
    queue_factor: float
    age_factor: float
    aggressor_factor: float
    queue_ahead: float
    probability: float
    draw: float
    #: The adverse-fill draw (fill.adverse_fill_ratio > 0), else -1. A fill whose draw was
    #: below the ratio was held for fill.adverse_horizon_s after its trade and let through
    #: only because the touch mid in force then was against us (below ``mid`` after a buy,
    #: above after a sell); it is then logged at the first event after that (``ts``), its
    #: trade printed at ``trade_ts`` and ``mid`` is the touch mid when the trade printed.
    adverse_draw: float = -1.0
    #: Event time of the trade that caused the fill, set when adverse fills are on (0: the
    #: same as ``ts``). Markouts are measured from it.
    trade_ts: int = 0
