"""The fill simulator: which of our paper orders the real trade flow would have filled.

Every trade that reaches one of our resting orders at or through its price gets one
uniform draw per such order, in a fixed order; the order fills when the draw is below

    P(fill) = touch x price x size x queue x age x aggressor, capped at max_probability,

for min(remaining, trade size x queue_position_factor, liquidity the trade still has).
The Fill event carries every factor and the draw, so any fill can be explained later.

Two modes (``fill.mode``): ``probabilistic`` is the factor model above;
``trade_through`` is the seed system's optimistic bound: a trade through our price
always fills us, one exactly at our level with ``trade_through_probability`` (0.9), for
all the liquidity the trade has left (no queue share). The draw is made either way, so
both modes consume the generator identically.

Adverse fills (``fill.adverse_fill_ratio`` > 0): every decision then makes a second draw,
right after the fill draw. A fill whose second draw is below the ratio is *held* and
decided ``fill.adverse_horizon_s`` (H) after its trade, by the touch mid in force at
``trade_ts + H``: the last touch mid logged at or before that time, so it is decided at
the first event later than that time, before that event moves anything (the convention
of actors.markouts). It happens only if that mid is strictly against us compared with
``mid``, the touch mid at the trade (lower after our buy, higher after our sell); the
Fill is then logged at the deciding event (``ts``) with ``trade_ts`` the trade's time.
Otherwise it never happened. A held fill does not touch its order until it is decided:
the order keeps resting and drawing meanwhile, and the fill is sized to what the order
has left when it is decided (it never happens if other fills completed the order first).

The order may leave the book while a fill from one of its trades is held (the quote
engine requotes every second or so, far sooner than H). The trade hit it while it rested,
so the fill stands: the order stops matching when its cancel or expiry takes effect, but
its OrderCanceled is logged only once its last held fill is decided, with what is left
(none if the held fills completed it). So the log never shows a fill after its order's
end, and the quote engine counts such an order as in flight until then.

The touch mid is the markouts': the last BookSnapshot or Bbo with both sides (the
simulator subscribes to Bbo only while adverse fills are on, and ``Fill.mid`` is then that
touch mid). Markouts of a fill with ``trade_ts`` are measured from ``trade_ts`` and
``mid``, so with ratio 1 every fill's markout at H is adverse. The decision needs the mid
H after the trade, unknown at the trade, hence the deferral; it is a pure function of the
logged inputs and the seeded draws, so replay reproduces it.

Most trades touch none of our orders; ``handle`` answers those with two comparisons
(``_wake_at`` folds the next drop and the next held decision into one time).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs
import msgspec
import numpy as np

from actors import queue_estimate
from actors.base import NOTHING
from actors.config import FillSection
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Event,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    Trade,
)
from events.orders import OrderSide

MS_NS: Final = 1_000_000
SEC_NS: Final = 1_000_000_000
#: Deadline of an order that has none yet (later than any event time).
_NEVER: Final = 2**63 - 1
_INF: Final = math.inf


@attrs.define(eq=False)
class _Order:
    """A live order: accepted, and neither filled, canceled nor expired yet."""

    oid: int
    side: OrderSide
    is_buy: bool
    px: float
    sz: float
    level: int
    remaining: float
    rests_at: int
    #: First event time at which the order has expired (age > max_order_age_s).
    expires_at: int
    #: First event time at which the order leaves the book: min(cancel effect, expiry).
    drop_at: int
    cancel_at: int | None = None
    queue_ahead: float = 0.0
    #: Held fills of this order not decided yet.
    holds: int = 0
    #: Why it left the book ("canceled" or "expired") while it had held fills: its
    #: OrderCanceled waits for them. Empty while it is on the book.
    closing: str = ""


@attrs.define(eq=False)
class _Held:
    """A fill waiting for the touch mid ``adverse_horizon_s`` after its trade."""

    order: _Order
    fill: Fill
    #: trade_ts + adverse horizon: decided by the touch mid in force at this time.
    decide_at: int


@attrs.frozen
class RestingOrder:
    """Read-only view of one live order (it may still be inside its placement latency)."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    remaining: float
    level: int
    rests_at: int
    expires_at: int
    cancel_at: int | None
    queue_ahead: float


@attrs.frozen
class FillSimulatorStatistics:
    """Counters of everything the fill simulator has done."""

    orders_accepted: int
    orders_rejected: int
    orders_canceled: int
    orders_expired: int
    orders_filled: int
    fills: int
    trades_seen: int
    unknown_cancels: int
    live_orders: int
    adverse_held: int = 0
    adverse_confirmed: int = 0
    adverse_lapsed: int = 0


def _bid_priority(order: _Order) -> tuple[float, int]:
    return (-order.px, order.oid)


def _ask_priority(order: _Order) -> tuple[float, int]:
    return (order.px, order.oid)


def _clamp(x: float, lo: float, hi: float) -> float:
    return hi if x > hi else (lo if x < lo else x)


class FillSimulator:
    """Simulates fills of our post-only orders against the real trade flow.

    Owns one ``numpy.random.Generator`` seeded with the session seed; draws happen only
    while handling trades, in price priority, so a session replays bit for bit.
    """

    name: ClassVar[str] = "fill_simulator"
    consumes: ClassVar[tuple[type[Event], ...]] = (PlaceOrder, CancelOrder, Trade, BookSnapshot)

    def __init__(self, cfg: FillSection, seed: int) -> None:
        self._cfg = cfg
        self._rng = np.random.default_rng(seed)
        self._depth_mode = not cfg.ignore_book_depth
        self._trade_through = cfg.mode == "trade_through"
        self._adverse_ratio = cfg.adverse_fill_ratio
        self._hold_ns = round(cfg.adverse_horizon_s * SEC_NS)
        if self._adverse_ratio > 0.0:
            # Follow the touch of Bbo events too: it is the mid the markouts measure.
            self.consumes = (*FillSimulator.consumes, Bbo)  # type: ignore[misc]
        # Held fills in hold order, which is trade order and so decide_at order.
        self._held: deque[_Held] = deque()
        #: First event time at which the oldest held fill is due (decide_at + 1).
        self._held_due = _NEVER
        self._adverse_held = 0
        self._adverse_confirmed = 0
        self._adverse_lapsed = 0
        # Latencies and ages in integer ns, the unit of event time.
        self._placement_ns = round(cfg.placement_latency_ms * MS_NS)
        self._cancel_ns = round(cfg.cancel_latency_ms * MS_NS)
        self._max_age_ns = round(cfg.max_order_age_s * SEC_NS)
        self._young_ns = round(cfg.young_order_s * SEC_NS)
        self._old_ns = round(cfg.old_order_s * SEC_NS)
        self._orders: dict[int, _Order] = {}
        # Our orders per side in price priority (best first, ties by oid), so matching
        # stops at the first order a trade does not reach.
        self._bids: list[_Order] = []
        self._asks: list[_Order] = []
        # Our best prices, cached for the common case "the trade touches nothing".
        self._top_bid = -_INF
        self._top_ask = _INF
        self._next_drop_at = _NEVER
        #: min(next drop, next held decision): below it a trade that touches nothing is a no-op.
        self._wake_at = _NEVER
        self._book: BookSnapshot | None = None
        self._best_bid = -_INF
        self._best_ask = _INF
        self._mid = math.nan
        self._accepted = 0
        self._rejected = 0
        self._canceled = 0
        self._expired = 0
        self._filled = 0
        self._fills = 0
        self._trades_seen = 0
        self._unknown_cancels = 0

    # -- the handler -------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the events emitted, in order."""
        if type(event) is Trade:
            self._trades_seen += 1
            px = event.px
            if event.ts < self._wake_at and self._top_bid < px < self._top_ask:
                return NOTHING
            return self._on_trade(event)
        if type(event) is BookSnapshot:
            return self._on_book(event)
        if type(event) is PlaceOrder:
            return self._on_place(event)
        if type(event) is CancelOrder:
            return self._on_cancel(event)
        if type(event) is Bbo:  # subscribed only while adverse fills are on
            return self._on_bbo(event)
        return NOTHING

    def _on_book(self, book: BookSnapshot) -> Sequence[Event]:
        ts = book.ts
        # Held fills due are decided first, by the mid in force before this book.
        out = self._drop_due(ts) if ts < self._held_due else self._settle(ts)
        self._book = book
        bids = book.bid_px
        asks = book.ask_px
        self._best_bid = bids[0] if bids else -_INF
        self._best_ask = asks[0] if asks else _INF
        if self._adverse_ratio > 0.0:
            # The markouts' touch mid: a book without both sides keeps the last one.
            if bids and asks and bids[0] > 0.0 and asks[0] > 0.0:
                self._mid = 0.5 * (bids[0] + asks[0])
        else:
            self._mid = book.mid
        if self._depth_mode:
            self._clamp_queues(book)
        return out or NOTHING

    def _on_bbo(self, bbo: Bbo) -> Sequence[Event]:
        ts = bbo.ts
        out = self._settle(ts) if ts >= self._held_due else NOTHING
        bid = bbo.bid_px
        ask = bbo.ask_px
        if bid > 0.0 and ask > 0.0:
            self._mid = 0.5 * (bid + ask)
        return out or NOTHING

    def _settle(self, ts: int) -> list[Event]:
        """Everything due by ``ts`` when a held fill is: the held fills whose horizon
        ended before ``ts``, then the orders whose cancel or expiry has taken effect."""
        out = self._decide_held(ts)
        out.extend(self._drop_due(ts))
        return out

    def _on_place(self, cmd: PlaceOrder) -> Sequence[Event]:
        ts = cmd.ts
        out = self._drop_due(ts) if ts < self._held_due else self._settle(ts)
        reason = self._rejection(cmd)
        if reason is not None:
            self._rejected += 1
            out.append(OrderRejected(ts=cmd.ts, oid=cmd.oid, reason=reason))
            return out
        order = self._new_order(cmd)
        self._insert(order)
        self._accepted += 1
        out.append(
            OrderAccepted(ts=cmd.ts, oid=order.oid, rests_at=order.rests_at, queue_ahead=order.queue_ahead)
        )
        return out

    def _on_cancel(self, cmd: CancelOrder) -> Sequence[Event]:
        ts = cmd.ts
        order = self._orders.get(cmd.oid)
        if order is None:
            # Routine: the quote engine may cancel an order that has just filled or expired.
            self._unknown_cancels += 1
        elif order.cancel_at is None:
            # A repeated cancel does not postpone the first one.
            order.cancel_at = ts + self._cancel_ns
            drop_at = order.drop_at = min(order.drop_at, order.cancel_at)
            if drop_at < self._next_drop_at:
                self._next_drop_at = drop_at
                if drop_at < self._wake_at:
                    self._wake_at = drop_at
        # A held fill due now is not affected by this cancel: it takes effect at ts or later,
        # after the fill's horizon.
        return (self._drop_due(ts) if ts < self._held_due else self._settle(ts)) or NOTHING

    def _on_trade(self, trade: Trade) -> Sequence[Event]:
        ts = trade.ts
        out = self._drop_due(ts) if ts < self._held_due else self._settle(ts)
        # One trade's liquidity is consumed once: the side it trades against first (a
        # seller hits bids), then our orders on its own side at the wrong-aggressor factor.
        if trade.side == "A":
            liquidity = self._match_side(trade, self._bids, trade.sz, out)
            self._match_side(trade, self._asks, liquidity, out)
        else:
            liquidity = self._match_side(trade, self._asks, trade.sz, out)
            self._match_side(trade, self._bids, liquidity, out)
        return out or NOTHING

    # -- orders --------------------------------------------------------------------------

    def _rejection(self, cmd: PlaceOrder) -> str | None:
        """Why a PlaceOrder is refused, or None when it may rest."""
        if not (math.isfinite(cmd.px) and cmd.px > 0.0):
            return "invalid_px"
        if not (math.isfinite(cmd.sz) and cmd.sz > 0.0):
            return "invalid_sz"
        if cmd.oid in self._orders:
            return "duplicate_oid"
        crosses = cmd.px >= self._best_ask if cmd.side == "buy" else cmd.px <= self._best_bid
        if crosses:
            return "post_only_would_cross"
        return None

    def _new_order(self, cmd: PlaceOrder) -> _Order:
        rests_at = cmd.ts + self._placement_ns
        expires_at = rests_at + self._max_age_ns + 1
        is_buy = cmd.side == "buy"
        return _Order(
            oid=cmd.oid,
            side=cmd.side,
            is_buy=is_buy,
            px=cmd.px,
            sz=cmd.sz,
            level=cmd.level,
            remaining=cmd.sz,
            rests_at=rests_at,
            expires_at=expires_at,
            drop_at=expires_at,
            queue_ahead=self._initial_queue(cmd.px, is_buy) if self._depth_mode else 0.0,
        )

    def _initial_queue(self, px: float, is_buy: bool) -> float:
        """Depth mode: the size displayed at our level when we join its back."""
        book = self._book
        if book is None:
            return 0.0
        if is_buy:
            return queue_estimate.queue_at_placement(book.bid_px, book.bid_sz, px, True)
        return queue_estimate.queue_at_placement(book.ask_px, book.ask_sz, px, False)

    def _insert(self, order: _Order) -> None:
        self._orders[order.oid] = order
        if order.is_buy:
            bisect.insort(self._bids, order, key=_bid_priority)
        else:
            bisect.insort(self._asks, order, key=_ask_priority)
        drop_at = order.drop_at
        if drop_at < self._next_drop_at:
            self._next_drop_at = drop_at
            if drop_at < self._wake_at:
                self._wake_at = drop_at
        self._refresh_tops()

    def _set_next_drop(self) -> None:
        """Recompute the next drop from the live orders, and the wake time with it."""
        nxt = self._next_drop_at = min((o.drop_at for o in self._orders.values()), default=_NEVER)
        held_due = self._held_due
        self._wake_at = nxt if nxt < held_due else held_due

    def _remove(self, order: _Order) -> None:
        del self._orders[order.oid]
        (self._bids if order.is_buy else self._asks).remove(order)

    def _refresh_tops(self) -> None:
        self._top_bid = self._bids[0].px if self._bids else -_INF
        self._top_ask = self._asks[0].px if self._asks else _INF

    def _drop_due(self, ts: int) -> list[Event]:
        """Emit OrderCanceled for every order whose cancel or expiry has taken effect by ``ts``."""
        if ts < self._next_drop_at:
            return []
        due = sorted((o for o in self._orders.values() if o.drop_at <= ts), key=lambda o: (o.drop_at, o.oid))
        out: list[Event] = []
        for order in due:
            canceled = order.cancel_at is not None and order.cancel_at <= order.expires_at
            reason = "canceled" if canceled else "expired"
            self._remove(order)
            if order.holds:
                # Off the book (it fills no more), but fills held from its trades may still
                # happen: its OrderCanceled reports what they leave, once they are decided.
                order.closing = reason
                continue
            if canceled:
                self._canceled += 1
            else:
                self._expired += 1
            out.append(OrderCanceled(ts=ts, oid=order.oid, reason=reason, remaining=order.remaining))
        self._set_next_drop()
        self._refresh_tops()
        return out

    def _close(self, ts: int, order: _Order, reason: str, out: list[Event]) -> None:
        """The OrderCanceled of an order that left the book (none if held fills completed it)."""
        if order.remaining <= 0.0:
            self._filled += 1
            return
        if reason == "canceled":
            self._canceled += 1
        else:
            self._expired += 1
        out.append(OrderCanceled(ts=ts, oid=order.oid, reason=reason, remaining=order.remaining))

    def _clamp_queues(self, book: BookSnapshot) -> None:
        """Depth mode: a level showing less size than our queue estimate proves the queue shrank."""
        for order in self._bids:
            order.queue_ahead = queue_estimate.clamp_to_snapshot(
                order.queue_ahead, book.bid_px, book.bid_sz, order.px, True
            )
        for order in self._asks:
            order.queue_ahead = queue_estimate.clamp_to_snapshot(
                order.queue_ahead, book.ask_px, book.ask_sz, order.px, False
            )

    # -- matching ------------------------------------------------------------------------

    def _match_side(self, trade: Trade, orders: list[_Order], liquidity: float, out: list[Event]) -> float:
        """Draw for, and maybe fill, our orders on one side that the trade reached.

        Returns the liquidity the trade still has afterwards.
        """
        done: list[_Order] = []
        px = trade.px
        for order in orders:
            if (order.px < px) if order.is_buy else (order.px > px):
                break  # price priority: no order further down is reached either
            # Our buy is filled by a taker who sold (A), our sell by one who bought (B).
            passive = trade.side == ("A" if order.is_buy else "B")
            queue_before = order.queue_ahead
            if self._depth_mode and passive:
                order.queue_ahead = queue_estimate.after_trade(queue_before, trade.sz)
            if trade.ts < order.rests_at:
                continue  # still on its way to the exchange: it cannot fill, nor draw
            fill = self._decide(order, trade, passive, queue_before, liquidity)
            if fill is None:
                continue
            if 0.0 <= fill.adverse_draw < self._adverse_ratio:
                # Decided by the touch mid adverse_horizon_s after the trade.
                decide_at = trade.ts + self._hold_ns
                if not self._held:
                    self._held_due = decide_at + 1
                    if decide_at + 1 < self._wake_at:
                        self._wake_at = decide_at + 1
                self._held.append(_Held(order, fill, decide_at))
                order.holds += 1
                self._adverse_held += 1
                liquidity -= fill.sz
                continue
            out.append(fill)
            liquidity -= fill.sz
            if order.remaining <= 0.0:
                done.append(order)
        for order in done:
            self._filled += 1
            self._remove(order)
        if done:
            self._set_next_drop()
            self._refresh_tops()
        return liquidity

    def _decide(
        self, order: _Order, trade: Trade, passive: bool, queue_ahead: float, liquidity: float
    ) -> Fill | None:
        """One draw for one order; the Fill (with its explanation) when it fills."""
        cfg = self._cfg
        through = trade.px < order.px if order.is_buy else trade.px > order.px
        if self._trade_through:
            return self._decide_trade_through(order, trade, through, queue_ahead, liquidity)
        price_factor = cfg.through_price_factor if through else 1.0
        size_factor = _clamp(trade.sz / order.remaining, cfg.min_size_factor, cfg.max_size_factor)
        if self._depth_mode:
            queue_factor = queue_estimate.queue_factor(queue_ahead, order.remaining, cfg.queue_alpha)
            age_factor = 1.0
            budget = liquidity - queue_ahead  # the queue ahead of us takes its share first
        else:
            queue_factor = cfg.queue_position_factor
            age_factor = self._age_factor(trade.ts - order.rests_at)
            budget = liquidity
        aggressor_factor = 1.0 if passive else cfg.wrong_aggressor_factor
        raw = (
            cfg.touch_probability * price_factor * size_factor * queue_factor * age_factor * aggressor_factor
        )
        probability = min(raw, cfg.max_probability)
        draw = float(self._rng.random())  # always drawn, so later draws never depend on p
        adverse_draw = float(self._rng.random()) if self._adverse_ratio > 0.0 else -1.0
        if draw >= probability:
            return None
        size = min(order.remaining, trade.sz * cfg.queue_position_factor, budget)
        if size <= 0.0:
            return None
        return self._fill(
            order, trade, size, (cfg.touch_probability, price_factor, size_factor, queue_factor, age_factor),
            aggressor_factor, queue_ahead, probability, draw, adverse_draw,
        )  # fmt: skip

    def _decide_trade_through(
        self, order: _Order, trade: Trade, through: bool, queue_ahead: float, liquidity: float
    ) -> Fill | None:
        """Trade-through mode: through our price always fills, at our level with
        ``trade_through_probability``; the fill takes what liquidity the trade has left."""
        probability = 1.0 if through else self._cfg.trade_through_probability
        draw = float(self._rng.random())
        adverse_draw = float(self._rng.random()) if self._adverse_ratio > 0.0 else -1.0
        if draw >= probability:
            return None
        size = min(order.remaining, liquidity)
        if size <= 0.0:
            return None
        factors = (probability, 1.0, 1.0, 1.0, 1.0)
        return self._fill(order, trade, size, factors, 1.0, queue_ahead, probability, draw, adverse_draw)

    def _fill(
        self,
        order: _Order,
        trade: Trade,
        size: float,
        factors: tuple[float, float, float, float, float],
        aggressor_factor: float,
        queue_ahead: float,
        probability: float,
        draw: float,
        adverse_draw: float,
    ) -> Fill:
        """The Fill of a decision; a fill to be held does not touch the order yet."""
        held = 0.0 <= adverse_draw < self._adverse_ratio
        if not held:
            order.remaining -= size
            self._fills += 1
        touch, price_factor, size_factor, queue_factor, age_factor = factors
        return Fill(
            ts=trade.ts,
            oid=order.oid,
            side=order.side,
            px=order.px,
            sz=size,
            remaining=max(order.remaining - size if held else order.remaining, 0.0),
            level=order.level,
            mid=self._mid,
            tid=trade.tid,
            trade_px=trade.px,
            trade_sz=trade.sz,
            trade_side=trade.side,
            touch_probability=touch,
            price_factor=price_factor,
            size_factor=size_factor,
            queue_factor=queue_factor,
            age_factor=age_factor,
            aggressor_factor=aggressor_factor,
            queue_ahead=queue_ahead,
            probability=probability,
            draw=draw,
            adverse_draw=adverse_draw,
            trade_ts=trade.ts if adverse_draw >= 0.0 else 0,
        )

    # -- adverse fills ---------------------------------------------------------------------

    def _decide_held(self, ts: int) -> list[Event]:
        """Decide every held fill whose horizon ended before ``ts``, in hold order.

        Called before the event at ``ts`` changes anything. The simulator sees every touch
        update, and each of these fills would have been decided at an earlier event if one
        had come after its horizon: so the current touch mid is the one in force at each
        horizon's end. A fill happens if that mid is strictly against us compared with the
        mid at its trade and its order has something left; an order that left the book
        meanwhile gets its OrderCanceled once its last held fill is decided.
        """
        out: list[Event] = []
        done: list[_Order] = []
        mid = self._mid
        held = self._held
        while held and held[0].decide_at < ts:
            h = held.popleft()
            order, fill = h.order, h.fill
            order.holds -= 1
            mid0 = fill.mid
            against = mid < mid0 if order.is_buy else mid > mid0  # False for NaN
            if against and order.remaining > 0.0:
                size = min(fill.sz, order.remaining)
                order.remaining -= size
                self._fills += 1
                self._adverse_confirmed += 1
                out.append(msgspec.structs.replace(fill, ts=ts, sz=size, remaining=max(order.remaining, 0.0)))
                if order.remaining <= 0.0 and not order.closing:
                    done.append(order)  # still on the book: filled
            else:
                self._adverse_lapsed += 1
            if order.closing and not order.holds:
                self._close(ts, order, order.closing, out)
        self._held_due = held[0].decide_at + 1 if held else _NEVER
        for order in done:
            self._filled += 1
            self._remove(order)
        if done:
            self._refresh_tops()
        self._set_next_drop()
        return out

    def _age_factor(self, age_ns: int) -> float:
        """Flat-queue age bonus: young orders sit behind the queue, old ones near its front."""
        if age_ns < self._young_ns:
            return self._cfg.young_order_factor
        if age_ns > self._old_ns:
            return self._cfg.old_order_factor
        return 1.0

    # -- inspection ----------------------------------------------------------------------

    def resting_orders(self) -> tuple[RestingOrder, ...]:
        """Every live order, bids then asks, each side in price priority."""
        return tuple(
            RestingOrder(
                oid=o.oid,
                side=o.side,
                px=o.px,
                sz=o.sz,
                remaining=o.remaining,
                level=o.level,
                rests_at=o.rests_at,
                expires_at=o.expires_at,
                cancel_at=o.cancel_at,
                queue_ahead=o.queue_ahead,
            )
            for o in (*self._bids, *self._asks)
        )

    def statistics(self) -> FillSimulatorStatistics:
        """Counters since construction."""
        return FillSimulatorStatistics(
            orders_accepted=self._accepted,
            orders_rejected=self._rejected,
            orders_canceled=self._canceled,
            orders_expired=self._expired,
            orders_filled=self._filled,
            fills=self._fills,
            trades_seen=self._trades_seen,
            unknown_cancels=self._unknown_cancels,
            live_orders=len(self._orders),
            adverse_held=self._adverse_held,
            adverse_confirmed=self._adverse_confirmed,
            adverse_lapsed=self._adverse_lapsed,
        )

    def snapshot(self) -> dict[str, Any]:
        """The simulator's state as plain data (JSON-encodable), for checkpoints and replay."""

        def finite_or_none(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "orders": [attrs.asdict(o) for o in self.resting_orders()],
            "best_bid": finite_or_none(self._best_bid),
            "best_ask": finite_or_none(self._best_ask),
            "mid": finite_or_none(self._mid),
            "statistics": attrs.asdict(self.statistics()),
            "rng": self._rng.bit_generator.state,
        }
