"""Outcome events: PnL with its attribution, markouts, calibration records."""

from __future__ import annotations

from events.base import Event
from events.orders import OrderSide


class PnL(Event, frozen=True):
    """Marked-to-mid PnL; spread_capture + adverse_selection + inventory + fees == total."""

    mid: float
    position: float
    cash: float
    realized: float
    unrealized: float
    total: float
    spread_capture: float
    adverse_selection: float
    inventory: float
    fees: float
    volume: float
    fills: int


class Markout(Event, frozen=True):
    """Mid move after a fill in bps at several horizons, positive when good for us."""

    oid: int
    fill_ts: int
    side: OrderSide
    horizons_s: tuple[float, ...]
    bps: tuple[float, ...]


class CalibrationRecord(Event, frozen=True):
    """A predicted fill probability and whether the quote filled within the horizon."""

    oid: int
    predicted: float
    filled: bool
