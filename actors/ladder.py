"""The ladder of quotes: GLFT's level 0 plus deeper, geometrically spaced levels.

Level ``i`` of a side sits at ``half_spread * level_spacing**i`` from mid, shifted by
the inventory skew like level 0 (so every level is ``half_spread * (spacing**i - 1)``
behind level 0), and has ``base_size * size_ratio**i`` contracts. Prices and sizes are
rounded to the exchange's rules (actors.ticks), passively.

Two steps, both pure:

* ``build_ladder`` is the ladder the model wants on this book: never crossing the book
  and never below the exchange's minimum order value;
* ``within_limits`` says which levels fit the risk limits, given what already rests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from actors.config import QuoteSection
from actors.glft import GlftQuote
from actors.ticks import floor_size, round_ask, round_bid, tick_size
from events import QuoteLevel
from events.orders import OrderSide

_BPS = 1e4
#: Relative slack of the minimum-notional check, so that an order worth exactly the
#: minimum is not dropped because px * sz came out one ulp short.
_NOTIONAL_SLACK = 1e-12


@attrs.frozen
class Touch:
    """The market the ladder is priced against: mid and the best bid and ask."""

    mid: float
    best_bid: float
    best_ask: float


def base_size(cfg: QuoteSection, mid: float, sz_decimals: int) -> float:
    """Size of the level-0 order: ``order_notional_usd / mid``, floored to szDecimals."""
    return floor_size(cfg.order_notional_usd / mid, sz_decimals)


def fill_probability(kappa: float, depth: float) -> float:
    """The model's predicted probability that a level ``depth`` (fraction of mid) from
    mid fills within its life: ``exp(-kappa * depth)``, the exponential arrival decay of
    the GLFT model itself. A level at or through mid is predicted to fill (1.0)."""
    return math.exp(-kappa * depth) if depth > 0.0 else 1.0


def build_ladder(
    cfg: QuoteSection,
    touch: Touch,
    quote: GlftQuote,
    *,
    inventory_lots: float,
    lot_size: float,
    kappa: float,
    sz_decimals: int,
) -> tuple[QuoteLevel, ...]:
    """The levels the model wants, bids best first, then asks best first.

    A level GLFT would put at or through the opposite touch is placed one tick behind it
    (a bid at most ``best_ask - tick``), so every order can rest post-only. Levels whose
    price rounds to zero or whose value is under ``min_notional_usd`` are dropped; a
    dropped level leaves a gap in ``level`` numbers, so a level keeps its identity.
    A negative half spread (a maker rebate larger than the GLFT spread) is taken as 0,
    so that deeper levels are never closer to mid than level 0.
    """
    mid = touch.mid
    half_spread = max(quote.half_spread, 0.0)
    skew_shift = quote.skew * inventory_lots
    bid_cap = touch.best_ask - tick_size(touch.best_ask, sz_decimals)
    ask_floor = touch.best_bid + tick_size(touch.best_bid, sz_decimals)
    bids: list[QuoteLevel] = []
    asks: list[QuoteLevel] = []
    for i in range(cfg.levels):
        sz = floor_size(lot_size * cfg.size_ratio**i, sz_decimals)
        if sz <= 0.0:
            continue
        depth = half_spread * cfg.level_spacing**i
        bid_raw = min(mid * (1.0 - (depth + skew_shift)), bid_cap)
        if bid_raw > 0.0:
            px = round_bid(bid_raw, sz_decimals)
            if px > 0.0 and px * sz * (1.0 + _NOTIONAL_SLACK) >= cfg.min_notional_usd:
                bids.append(_level("buy", i, px, sz, (mid - px) / mid, kappa))
        ask_raw = max(mid * (1.0 + (depth - skew_shift)), ask_floor)
        px = round_ask(ask_raw, sz_decimals)
        if px * sz * (1.0 + _NOTIONAL_SLACK) >= cfg.min_notional_usd:
            asks.append(_level("sell", i, px, sz, (px - mid) / mid, kappa))
    if bids and asks and asks[0].px <= bids[0].px:
        # Only a zero (or vanishing) half spread gets here, both sides rounding onto one
        # price: never quote against ourselves; keep the side the inventory wants to
        # trade (the bids when flat).
        if inventory_lots > 0.0:
            bids = [b for b in bids if b.px < asks[0].px]
        else:
            asks = [a for a in asks if a.px > bids[0].px]
    return (*bids, *asks)


def reprice(level: QuoteLevel, px: float, mid: float, kappa: float) -> QuoteLevel:
    """``level`` quoted at ``px`` instead: its depth and predicted fill probability follow."""
    depth = (mid - px) / mid if level.side == "buy" else (px - mid) / mid
    return _level(level.side, level.level, px, level.sz, depth, kappa)


def _level(side: OrderSide, level: int, px: float, sz: float, depth: float, kappa: float) -> QuoteLevel:
    return QuoteLevel(
        side=side,
        level=level,
        px=px,
        sz=sz,
        depth_bps=depth * _BPS,
        p_fill=fill_probability(kappa, depth),
    )


@attrs.frozen
class Limits:
    """Risk limits: contracts and USD notional of a side's worst-case position."""

    max_position: float
    max_notional_usd: float

    @classmethod
    def from_config(cls, cfg: QuoteSection) -> Limits:
        """max_position, and paper_balance_usd * leverage as the notional cap."""
        return cls(max_position=cfg.max_position, max_notional_usd=cfg.paper_balance_usd * cfg.leverage)


def within_limits(
    levels: Sequence[QuoteLevel],
    resting: Sequence[bool],
    *,
    limits: Limits,
    position: float,
    mid: float,
    committed_buy: float,
    committed_sell: float,
) -> tuple[bool, ...]:
    """Which levels fit the risk limits: one flag per level, in order.

    A side's exposure is the position in that side's direction (``position`` for buys,
    ``-position`` for sells) plus the size of every order on that side: those already
    resting or pending a cancel (``committed_*``, by remaining size) and the new levels.
    It must stay within ``max_position`` contracts and, times ``mid``, within the
    notional cap. With the signed position, orders that reduce the position still go
    out when the position itself is at or over a limit, so the book can be unwound.

    ``resting[i]`` says ``levels[i]`` is already resting: it is in ``committed_*``
    already, so it costs nothing and is kept. A new level that would break a limit is
    dropped whole (never clipped); later, smaller levels may still fit. Levels are
    admitted in the given order, so pass them best first.
    """
    exposure = {"buy": position + committed_buy, "sell": -position + committed_sell}
    # exposure * mid <= notional cap is exposure <= cap / mid; the slack keeps a ladder
    # that exactly fills a limit from being dropped for one ulp.
    cap = min(limits.max_position, limits.max_notional_usd / mid) * (1.0 + _NOTIONAL_SLACK)
    admitted: list[bool] = []
    for level, is_resting in zip(levels, resting, strict=True):
        after = exposure[level.side] + level.sz
        ok = is_resting or after <= cap
        if ok and not is_resting:
            exposure[level.side] = after
        admitted.append(ok)
    return tuple(admitted)
