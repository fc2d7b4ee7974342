"""Outcome events: PnL with its attribution, markouts, and predictions with their outcomes."""

from __future__ import annotations

from events.base import Event, Record
from events.orders import OrderSide, QuoteLevel


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

    ``fill_ts`` is when the fill happened: its trade's time (``Fill.trade_ts``) when set,
    else the Fill's ``ts`` (a fill held by fill.adverse_fill_ratio is logged after its
    trade). ``mid`` is the touch mid in force then (``Fill.mid`` when ``trade_ts`` is set);
    ``bps[i]`` is ``(mid at fill_ts + horizons_s[i] - mid) / mid * 1e4``, negated for a
    sell. ``ts`` is the event time at which the last horizon became known. ``fill``
    numbers our fills from 1 in log order, so one fill's markout is found even among
    equal timestamps.
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


class LevelFill(Record, frozen=True):
    """A level of a CalibrationRecord whose order filled within the record's horizon.

    ``index`` is the level's position in ``CalibrationRecord.levels``; ``fill_ts`` is when
    the order first filled after the cycle, ``fill_level`` the level that order was placed
    for (it may be an older cycle's order the cycle kept). ``adverse_bps`` is that fill's
    realized adverse selection: the mid move against us at the record's
    ``adverse_horizon_s``, in bps (positive is bad for us; NaN when the markout has none).
    """

    index: int
    fill_ts: int
    fill_level: int
    adverse_bps: float


class CalibrationRecord(Event, frozen=True):
    """A quote cycle's market state and predictions, with the outcome of every level.

    Emitted in cycle order once every level's outcome is known (``ts`` is when);
    ``cycle`` numbers the QuoteCycle whose ladder ``levels`` is, as it quoted it (each
    level's side, number, price, size, depth in bps and predicted fill probability
    ``p_fill`` within ``horizon_s``, the fill horizon). ``oids[i]`` is the order that
    rested level ``i`` (the cycle's ``QuoteCycle.oids``): placed by the cycle, or an order
    it kept. A level *filled* when its order filled after the cycle and within the horizon; those
    levels, and only those, are in ``fills`` (in level order), with when, which level the
    order was placed for and the realized adverse selection at ``adverse_horizon_s``.
    ``regime``, ``predicted_adverse_bps`` (the estimators' EWMA of realized adverse
    selection) and ``p_adverse_bid`` / ``p_adverse_ask`` (their predicted probability that
    a fill on that side is adverse) come from the Estimates the quote engine priced the
    cycle with ("" and NaN before any); ``book_imbalance`` is (bid size - ask size) /
    (bid size + ask size) over the top levels of the last book; ``spread_bps`` is the
    market's touch spread in bps of mid.
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
    levels: tuple[QuoteLevel, ...]
    oids: tuple[int, ...]
    fills: tuple[LevelFill, ...]
