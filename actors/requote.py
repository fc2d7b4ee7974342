"""Which resting orders a new ladder keeps: the requote tolerance.

Each level of the ladder the model wants keeps a live order of its side and size whose
price is within ``tolerance_px`` of the level's (the nearest; the oldest of equals), and
the level is then quoted at that order's price: the order keeps its queue place and costs
no cancel and no placement against the API budget. With a tolerance of 0 only an order at
exactly the level's price is kept. An order now at or through the opposite touch is never
kept (the ladder itself never quotes there: it could not rest post-only), and the
tolerance never takes the quoted spread at the touch outside the spread profile's bounds
(further than the ladder's own tick rounding does): the best bid and ask are then
requoted at the ladder's prices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

from actors.ladder import Touch, reprice
from events import QuoteLevel
from events.orders import OrderSide

#: Relative slack of the tolerance test: tick-rounded prices differ by float noise.
_SLACK = 1e-9


class LiveOrder(Protocol):
    """What the match needs of a live order."""

    @property
    def oid(self) -> int: ...
    @property
    def side(self) -> OrderSide: ...
    @property
    def px(self) -> float: ...
    @property
    def sz(self) -> float: ...


def keep_orders(
    levels: Sequence[QuoteLevel],
    live: Iterable[LiveOrder],
    *,
    tolerance_px: float,
    touch: Touch,
    kappa: float,
    spread_px: tuple[float, float] = (-math.inf, math.inf),
) -> tuple[tuple[QuoteLevel, ...], list[int | None]]:
    """The ladder as it will be quoted and, per level, the oid of the live order kept for
    it (None: a new order is placed). ``live`` in oid order; each order covers one level;
    ``spread_px``: the bounds of the total spread at the touch, in price."""
    free: dict[tuple[str, float], list[LiveOrder]] = {}
    for order in live:
        if order.side == "buy" and order.px >= touch.best_ask:
            continue
        if order.side == "sell" and order.px <= touch.best_bid:
            continue
        free.setdefault((order.side, order.sz), []).append(order)
    quoted: list[QuoteLevel] = []
    matched: list[int | None] = []
    repriced = False
    limit = tolerance_px * (1.0 + _SLACK)
    for level in levels:
        candidates = free.get((level.side, level.sz))
        best = None
        if candidates:
            best_gap = math.inf
            for order in candidates:
                gap = abs(order.px - level.px)
                if gap < best_gap:  # strictly: the oldest of equally near orders
                    best, best_gap = order, gap
                    if gap == 0.0:
                        break
            if best_gap > limit:
                best = None
        if best is None:
            quoted.append(level)
            matched.append(None)
            continue
        candidates.remove(best)  # type: ignore[union-attr]
        if best.px != level.px:
            level = reprice(level, best.px, touch.mid, kappa)
            repriced = True
        quoted.append(level)
        matched.append(best.oid)
    if repriced:
        _keep_spread_in_bounds(levels, quoted, matched, spread_px)
    return tuple(quoted), matched


def _touch_indices(levels: Sequence[QuoteLevel]) -> tuple[int, int]:
    """Indices of the best bid and the best ask (-1: none)."""
    bid = ask = -1
    for i, lv in enumerate(levels):
        if lv.side == "buy":
            if bid < 0 or lv.px > levels[bid].px:
                bid = i
        elif ask < 0 or lv.px < levels[ask].px:
            ask = i
    return bid, ask


def _keep_spread_in_bounds(
    wanted: Sequence[QuoteLevel],
    quoted: list[QuoteLevel],
    matched: list[int | None],
    spread_px: tuple[float, float],
) -> None:
    """Requote the best bid and ask at the ladder's prices if the kept orders' spread
    leaves the bounds (widened to the ladder's own spread, which tick rounding may move)."""
    bid, ask = _touch_indices(quoted)
    if bid < 0 or ask < 0:
        return
    want_bid, want_ask = _touch_indices(wanted)
    own = wanted[want_ask].px - wanted[want_bid].px
    lo, hi = min(spread_px[0], own), max(spread_px[1], own)
    spread = quoted[ask].px - quoted[bid].px
    if lo <= spread <= hi:
        return
    for i in (bid, ask):
        if quoted[i] is not wanted[i]:
            quoted[i] = wanted[i]
            matched[i] = None
