"""Outcome events: PnL with its attribution, markouts, and predictions with their outcomes."""

from __future__ import annotations

from events.base import Event, Record
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
    """Mid move after one of our fills in bps at several horizons, positive when good for us.

    ``mid`` is the touch mid in force when the fill happened; ``bps[i]`` is
    ``(mid at fill_ts + horizons_s[i] - mid) / mid * 1e4``, negated for a sell. ``ts`` is
    the event time at which the last horizon became known. ``fill`` numbers our fills
    from 1 in log order, so one fill's markout is found even among equal timestamps.
    """

    fill: int
    oid: int
    fill_ts: int
    side: OrderSide
    level: int
    px: float
    sz: float
    mid: float
    horizons_s: tuple[float, ...]
    bps: tuple[float, ...]


class LevelOutcome(Record, frozen=True):
    """One ladder level of a quote cycle: the model's prediction and what happened.

    ``side``, ``level``, ``depth_bps`` and ``p_fill`` are the level's as in the cycle's
    QuoteCycle (which also has its price and size). ``oid`` is the order that rested the
    level (placed by the cycle, or an order it kept); 0 when no order did (the level
    never went out), and such a level has no outcome. ``filled`` says the order filled
    after the cycle and within the record's horizon; ``fill_ts`` is when (0 if not) and
    ``fill_level`` the level the filling order was placed for (-1 if not).
    ``adverse_bps`` is the realized adverse selection of that fill: the mid move against
    us at the adverse horizon, in bps (positive is bad for us; 0.0, not NaN, when not
    filled, so that records compare equal in replay verification).
    """

    side: OrderSide
    level: int
    depth_bps: float
    p_fill: float
    oid: int
    filled: bool
    fill_ts: int
    fill_level: int
    adverse_bps: float


class CalibrationRecord(Event, frozen=True):
    """A quote cycle's market state and predictions, with the outcome of every level.

    Emitted in cycle order once every level's outcome is known (``ts`` is when);
    ``cycle`` numbers the QuoteCycle whose levels these are, in its order.
    ``horizon_s`` is the fill horizon, ``adverse_horizon_s`` the markout horizon of
    ``adverse_bps``. ``regime``, ``predicted_adverse_bps`` (the estimators' EWMA of
    realized adverse selection) and ``p_adverse_bid`` / ``p_adverse_ask`` (their
    predicted probability that a fill on that side is adverse) come from the Estimates
    the quote engine priced the cycle with ("" and NaN before any); ``book_imbalance``
    is (bid size - ask size) / (bid size + ask size) over the top levels of the last
    book; ``spread_bps`` is the market's touch spread in bps of mid.
    """

    cycle: int
    cycle_ts: int
    horizon_s: float
    adverse_horizon_s: float
    mid: float
    spread_bps: float
    sigma: float
    kappa: float
    regime: str
    book_imbalance: float
    half_spread_bps: float
    skew_bps: float
    position: float
    predicted_adverse_bps: float
    p_adverse_bid: float
    p_adverse_ask: float
    levels: tuple[LevelOutcome, ...]
