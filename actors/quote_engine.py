"""The quote engine: GLFT ladders on every book, sent as the diff against live orders.

On a book (BookSnapshot or Bbo), at most once per ``min_requote_interval_ms`` of event
time, the engine runs one cycle: the GLFT half spread and skew from the current sigma and
kappa (the configured priors until the estimators' first usable Estimates), the ladder
around the touch's mid, the risk limits, then one QuoteCycle followed by the commands
that turn the orders it believes live into that ladder: CancelOrder for each live order
no level wants, then PlaceOrder for each level no live order covers.

Its view of our orders is built only from its own commands and the fill simulator's
answers: an order is live from its PlaceOrder until OrderRejected, OrderCanceled or a
Fill that leaves nothing. An order with a cancel in flight no longer matches a level,
but still counts against the exposure limits, because it can fill until the cancel
takes effect. The position is the sum of our fills.

The handler is pure (event time only, no I/O, no randomness). Books arrive a few times a
second and most fall inside the requote interval, so that path is one comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs

from actors.assets import sz_decimals_for
from actors.base import NOTHING
from actors.config import FeesSection, QuoteSection
from actors.glft import glft_quote
from actors.ladder import Limits, Touch, base_size, build_ladder, within_limits
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Estimates,
    Event,
    Fill,
    Mids,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    QuoteCycle,
    QuoteLevel,
)
from events.orders import OrderSide

MS_NS: Final = 1_000_000
_BPS: Final = 1e4
#: Time of the "previous cycle" before the first one: far enough back that the first
#: usable book always quotes, whatever the interval.
_NEVER_CYCLED: Final = -(2**63)

_LevelKey = tuple[OrderSide, float, float]


@attrs.define(eq=False)
class _OwnOrder:
    """One of our orders as the engine believes it: live, or live with a cancel in flight."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    remaining: float
    level: int
    cycle: int
    cancel_pending: bool = False


@attrs.frozen
class QuoteEngineStatistics:
    """Counters of a quote engine since it was built."""

    cycles: int
    books_throttled: int
    books_unquotable: int
    orders_placed: int
    cancels_sent: int
    accepted: int
    rejected: int
    canceled: int
    fills: int
    live_orders: int
    pending_cancels: int
    position: float
    sigma: float
    kappa: float


class QuoteEngine:
    """GLFT market maker for one asset: QuoteCycle, then CancelOrder and PlaceOrder diffs."""

    name: ClassVar[str] = "quote_engine"
    consumes: ClassVar[tuple[type[Event], ...]] = (
        BookSnapshot,
        Bbo,
        Mids,
        Estimates,
        OrderAccepted,
        OrderRejected,
        OrderCanceled,
        Fill,
    )

    def __init__(self, quote: QuoteSection, fees: FeesSection, asset: str) -> None:
        self.asset = asset
        self._cfg = quote
        self._maker_fee = fees.maker
        self._sz_decimals = sz_decimals_for(asset, quote.sz_decimals)
        self._interval_ns = round(quote.min_requote_interval_ms * MS_NS)
        self._limits = Limits.from_config(quote)
        self._sigma = quote.sigma_prior
        self._kappa = quote.kappa_prior
        self._estimates_used = 0
        self._position = 0.0
        self._exchange_mid = math.nan
        # Insertion order is oid order (oids only grow), which keeps every walk over
        # the orders deterministic without sorting.
        self._orders: dict[int, _OwnOrder] = {}
        self._next_oid = 1
        self._cycle = 0
        self._last_cycle_ts = _NEVER_CYCLED
        self._books_throttled = 0
        self._books_unquotable = 0
        self._orders_placed = 0
        self._cancels_sent = 0
        self._accepted = 0
        self._rejected = 0
        self._canceled = 0
        self._fills = 0

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the QuoteCycle and order commands it causes, if any."""
        if type(event) is BookSnapshot:
            # The common case: inside the requote interval, nothing else to look at.
            if event.ts - self._last_cycle_ts < self._interval_ns:
                self._books_throttled += 1
                return NOTHING
            best_bid = event.bid_px[0] if event.bid_px else 0.0
            best_ask = event.ask_px[0] if event.ask_px else 0.0
            return self._requote(event.ts, best_bid, best_ask)
        if type(event) is Bbo:
            if event.ts - self._last_cycle_ts < self._interval_ns:
                self._books_throttled += 1
                return NOTHING
            return self._requote(event.ts, event.bid_px, event.ask_px)
        if type(event) is Fill:
            self._on_fill(event)
        elif type(event) is OrderCanceled:
            self._canceled += 1
            self._orders.pop(event.oid, None)
        elif type(event) is OrderRejected:
            self._rejected += 1
            self._orders.pop(event.oid, None)
        elif type(event) is OrderAccepted:
            self._accepted += 1
        elif type(event) is Estimates:
            self._on_estimates(event)
        elif type(event) is Mids:
            # Kept for the snapshot only: quotes are priced against the touch they must
            # not cross, and the exchange mid can lag it.
            self._exchange_mid = event.mid
        return NOTHING

    def _on_fill(self, fill: Fill) -> None:
        self._fills += 1
        # The fill happened whatever we believe about the order, so it always moves
        # the position.
        self._position += fill.sz if fill.side == "buy" else -fill.sz
        order = self._orders.get(fill.oid)
        if order is None:
            return
        if fill.remaining <= 0.0:
            del self._orders[fill.oid]
        else:
            order.remaining = fill.remaining

    def _on_estimates(self, est: Estimates) -> None:
        # Each estimate replaces the current value only when usable, so a warming-up
        # estimator that reports 0 or NaN leaves the prior (or the last good value).
        used = False
        if est.sigma > 0.0 and math.isfinite(est.sigma):
            self._sigma = est.sigma
            used = True
        if est.kappa > 0.0 and math.isfinite(est.kappa):
            self._kappa = est.kappa
            used = True
        if used:
            self._estimates_used += 1

    # -- the quote cycle ----------------------------------------------------------------

    def _requote(self, ts: int, best_bid: float, best_ask: float) -> Sequence[Event]:
        # An empty side reads as 0.0 (and NaN fails every comparison).
        if not (best_bid > 0.0 and best_ask > 0.0):
            self._books_unquotable += 1
            return NOTHING
        mid = 0.5 * (best_bid + best_ask)
        if not math.isfinite(mid):
            self._books_unquotable += 1
            return NOTHING
        self._last_cycle_ts = ts
        self._cycle += 1
        cfg = self._cfg
        szd = self._sz_decimals
        quote = glft_quote(
            gamma=cfg.gamma,
            arrival_a=cfg.arrival_a,
            delta=cfg.delta,
            sigma=self._sigma,
            kappa=self._kappa,
            maker_fee=self._maker_fee,
        )
        lot = base_size(cfg, mid, szd)
        inventory_lots = self._position / lot if lot > 0.0 else 0.0
        candidates = build_ladder(
            cfg,
            Touch(mid=mid, best_bid=best_bid, best_ask=best_ask),
            quote,
            inventory_lots=inventory_lots,
            lot_size=lot,
            kappa=self._kappa,
            sz_decimals=szd,
        )
        matched = self._match(candidates)
        committed_buy = 0.0
        committed_sell = 0.0
        for order in self._orders.values():
            if order.side == "buy":
                committed_buy += order.remaining
            else:
                committed_sell += order.remaining
        admitted = within_limits(
            candidates,
            [oid is not None for oid in matched],
            limits=self._limits,
            position=self._position,
            mid=mid,
            committed_buy=committed_buy,
            committed_sell=committed_sell,
        )

        out: list[Event] = [
            QuoteCycle(
                ts=ts,
                cycle=self._cycle,
                mid=mid,
                sigma=self._sigma,
                kappa=self._kappa,
                gamma=cfg.gamma,
                half_spread_bps=quote.half_spread * _BPS,
                skew_bps=quote.skew * _BPS,
                position=self._position,
                levels=tuple(level for level, ok in zip(candidates, admitted, strict=True) if ok),
            )
        ]
        kept = {oid for oid in matched if oid is not None}
        stale = [o for o in self._orders.values() if not o.cancel_pending and o.oid not in kept]
        # Best first on each side, bids before asks; oid breaks ties between equal prices.
        stale.sort(key=lambda o: (0, -o.px, o.oid) if o.side == "buy" else (1, o.px, o.oid))
        for order in stale:
            order.cancel_pending = True
            out.append(CancelOrder(ts=ts, oid=order.oid))
        self._cancels_sent += len(stale)
        for level, oid, ok in zip(candidates, matched, admitted, strict=True):
            if ok and oid is None:
                out.append(self._place(ts, level.side, level.px, level.sz, level.level))
        return out

    def _match(self, levels: Sequence[QuoteLevel]) -> list[int | None]:
        """For each level, the oid of a live order resting exactly it, or None.

        An order matches on side, price and placed size (a partly filled order keeps its
        level and its queue place). Each order covers one level; equal keys pair up in
        oid order.
        """
        free: dict[_LevelKey, list[int]] = {}
        for order in self._orders.values():
            if not order.cancel_pending:
                free.setdefault((order.side, order.px, order.sz), []).append(order.oid)
        matched: list[int | None] = []
        for level in levels:
            oids = free.get((level.side, level.px, level.sz))
            matched.append(oids.pop(0) if oids else None)
        return matched

    def _place(self, ts: int, side: OrderSide, px: float, sz: float, level: int) -> PlaceOrder:
        oid = self._next_oid
        self._next_oid += 1
        self._orders_placed += 1
        self._orders[oid] = _OwnOrder(
            oid=oid, side=side, px=px, sz=sz, remaining=sz, level=level, cycle=self._cycle
        )
        return PlaceOrder(ts=ts, oid=oid, side=side, px=px, sz=sz, level=level, cycle=self._cycle)

    # -- introspection ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Plain data of the engine's state (for checkpoints and debugging)."""
        return {
            "asset": self.asset,
            "sz_decimals": self._sz_decimals,
            "cycle": self._cycle,
            "next_oid": self._next_oid,
            "last_cycle_ts": None if self._last_cycle_ts == _NEVER_CYCLED else self._last_cycle_ts,
            "position": self._position,
            "sigma": self._sigma,
            "kappa": self._kappa,
            "estimates_used": self._estimates_used,
            "exchange_mid": self._exchange_mid,
            "orders": [attrs.asdict(order) for order in self._orders.values()],
        }

    def statistics(self) -> QuoteEngineStatistics:
        """Counters and current values, as a frozen record."""
        pending = sum(1 for o in self._orders.values() if o.cancel_pending)
        return QuoteEngineStatistics(
            cycles=self._cycle,
            books_throttled=self._books_throttled,
            books_unquotable=self._books_unquotable,
            orders_placed=self._orders_placed,
            cancels_sent=self._cancels_sent,
            accepted=self._accepted,
            rejected=self._rejected,
            canceled=self._canceled,
            fills=self._fills,
            live_orders=len(self._orders) - pending,
            pending_cancels=pending,
            position=self._position,
            sigma=self._sigma,
            kappa=self._kappa,
        )
