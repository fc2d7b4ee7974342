"""The fill simulator: which of our paper orders the real trade flow would have filled.

Every trade that reaches one of our resting orders at or through its price gets one
uniform draw per such order, in a fixed order (price priority, the side the trade hits
first), and the order fills when the draw is below the fill model's probability
(``actors.fill_model``). The Fill event carries every factor and the draw, so any fill
can be explained later. With adverse fills on, a second draw may hold the fill until
the mid has moved (``actors.fill_held``). Our orders, their latencies, cancels and
expiries are kept by ``actors.fill_orders``.

Most trades touch none of our orders; ``handle`` answers those with two comparisons
(``_wake_at`` folds the next drop and the next held decision into one time).

``replay.explain`` instruments a live simulator through ``_decide`` (with this
signature), ``_rng``, ``_fills`` and ``_adverse_ratio``: keep them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs
import numpy as np

from actors import queue_estimate
from actors.base import NOTHING
from actors.config import FillSection
from actors.fill_held import HeldFills
from actors.fill_model import FillModel
from actors.fill_orders import NEVER, PaperOrder, PaperOrderBook, RestingOrder, new_order, queue_at_join
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Event,
    Fill,
    OrderAccepted,
    OrderRejected,
    PlaceOrder,
    Trade,
)
from events.base import MS_NS, SEC_NS

_INF: Final = math.inf


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


class FillSimulator:
    """Simulates fills of our post-only orders against the real trade flow.

    Owns one ``numpy.random.Generator`` seeded with the session seed; draws happen only
    while handling trades, in price priority, so a session replays bit for bit.
    """

    name: ClassVar[str] = "fill_simulator"
    consumes: ClassVar[tuple[type[Event], ...]] = (PlaceOrder, CancelOrder, Trade, BookSnapshot)

    def __init__(self, cfg: FillSection, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._model = FillModel(cfg)
        self._depth_mode = self._model.depth_mode
        self._adverse_ratio = cfg.adverse_fill_ratio
        if self._adverse_ratio > 0.0:
            # Follow the touch of Bbo events too: it is the mid the markouts measure.
            self.consumes = (*FillSimulator.consumes, Bbo)  # type: ignore[misc]
        self._held = HeldFills(round(cfg.adverse_horizon_s * SEC_NS))
        # Latencies and ages in integer ns, the unit of event time.
        self._placement_ns = round(cfg.placement_latency_ms * MS_NS)
        self._cancel_ns = round(cfg.cancel_latency_ms * MS_NS)
        self._max_age_ns = round(cfg.max_order_age_s * SEC_NS)
        self._orders = PaperOrderBook()
        #: min(next drop, next held decision): below it a trade that touches nothing is a no-op.
        self._wake_at = NEVER
        self._book: BookSnapshot | None = None
        self._best_bid = -_INF
        self._best_ask = _INF
        self._mid = math.nan
        self._rejected = 0
        #: Fills logged at their trade (held fills count in ``HeldFills.confirmed``).
        self._fills = 0
        self._trades_seen = 0
        self._unknown_cancels = 0

    # -- the handler -------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the events emitted, in order."""
        if type(event) is Trade:
            self._trades_seen += 1
            px = event.px
            orders = self._orders
            if event.ts < self._wake_at and orders.top_bid < px < orders.top_ask:
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
        # Held fills due are decided first, by the mid in force before this book.
        out = self._due(book.ts)
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
            self._orders.clamp_queues(book)
        return out or NOTHING

    def _on_bbo(self, bbo: Bbo) -> Sequence[Event]:
        ts = bbo.ts
        # Held fills due are decided before this Bbo moves the mid that decides them.
        out = self._settle(ts) if ts >= self._held.due else NOTHING
        bid = bbo.bid_px
        ask = bbo.ask_px
        if bid > 0.0 and ask > 0.0:
            self._mid = 0.5 * (bid + ask)
        return out or NOTHING

    def _on_place(self, cmd: PlaceOrder) -> Sequence[Event]:
        ts = cmd.ts
        out = self._due(ts)
        reason = self._orders.rejection(cmd, self._best_bid, self._best_ask)
        if reason is not None:
            self._rejected += 1
            out.append(OrderRejected(ts=ts, oid=cmd.oid, reason=reason))
            return out
        queue_ahead = queue_at_join(self._book, cmd.px, cmd.side == "buy") if self._depth_mode else 0.0
        order = new_order(cmd, self._placement_ns, self._max_age_ns, queue_ahead)
        self._orders.add(order)
        if order.drop_at < self._wake_at:
            self._wake_at = order.drop_at
        out.append(
            OrderAccepted(ts=ts, oid=order.oid, rests_at=order.rests_at, queue_ahead=order.queue_ahead)
        )
        return out

    def _on_cancel(self, cmd: CancelOrder) -> Sequence[Event]:
        ts = cmd.ts
        order = self._orders.get(cmd.oid)
        if order is None:
            # Routine: the quote engine may cancel an order that has just filled or expired.
            self._unknown_cancels += 1
        else:
            self._orders.cancel(order, ts + self._cancel_ns)
            if order.drop_at < self._wake_at:
                self._wake_at = order.drop_at
        # A held fill due now is not affected by this cancel: it takes effect at ts or later,
        # after the fill's horizon.
        return self._due(ts) or NOTHING

    def _on_trade(self, trade: Trade) -> Sequence[Event]:
        out = self._due(trade.ts)
        # One trade's liquidity is consumed once: the side it trades against first (a
        # seller hits bids), then our orders on its own side at the wrong-aggressor factor.
        orders = self._orders
        if trade.side == "A":
            liquidity = self._match_side(trade, orders.bids, trade.sz, out)
            self._match_side(trade, orders.asks, liquidity, out)
        else:
            liquidity = self._match_side(trade, orders.asks, trade.sz, out)
            self._match_side(trade, orders.bids, liquidity, out)
        return out or NOTHING

    # -- what comes due ------------------------------------------------------------------

    def _due(self, ts: int) -> list[Event]:
        """Everything due by ``ts``, before the event at ``ts`` changes anything: the held
        fills whose horizon ended before ``ts``, then the orders whose cancel or expiry
        has taken effect."""
        if ts < self._wake_at:
            return []
        if ts >= self._held.due:
            return self._settle(ts)
        out = self._orders.drop_due(ts)
        self._rewake()
        return out

    def _settle(self, ts: int) -> list[Event]:
        """``_due`` when a held fill is due."""
        out = self._held.decide(ts, self._mid, self._orders)
        out.extend(self._orders.drop_due(ts))
        self._rewake()
        return out

    def _rewake(self) -> None:
        nxt = self._orders.next_drop_at
        held_due = self._held.due
        self._wake_at = nxt if nxt < held_due else held_due

    # -- matching ------------------------------------------------------------------------

    def _match_side(
        self, trade: Trade, orders: list[PaperOrder], liquidity: float, out: list[Event]
    ) -> float:
        """Draw for, and maybe fill, our orders on one side that the trade reached.

        Returns the liquidity the trade still has afterwards.
        """
        done: list[PaperOrder] = []
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
            liquidity -= fill.sz
            if 0.0 <= fill.adverse_draw < self._adverse_ratio:
                # Decided by the touch mid adverse_horizon_s after the trade.
                self._held.hold(order, fill)
                if self._held.due < self._wake_at:
                    self._wake_at = self._held.due
                continue
            order.remaining -= fill.sz
            self._fills += 1
            out.append(fill)
            if order.remaining <= 0.0:
                done.append(order)
        if done:
            book = self._orders
            for order in done:
                book.complete(order)
            book.refresh_next_drop()
            self._rewake()
            book.refresh_tops()
        return liquidity

    def _decide(
        self, order: PaperOrder, trade: Trade, passive: bool, queue_ahead: float, liquidity: float
    ) -> Fill | None:
        """One decision for one order: its draws, and its Fill when it fills.

        Both draws are made whatever the probability, so that later draws never depend on
        it. Nothing but the generator changes: the caller applies or holds the Fill.
        """
        chance = self._model.assess(order, trade, passive, queue_ahead, liquidity)
        draw = float(self._rng.random())
        adverse_draw = float(self._rng.random()) if self._adverse_ratio > 0.0 else -1.0
        if draw >= chance.probability or chance.size <= 0.0:
            return None
        return chance.fill(order, trade, queue_ahead, self._mid, draw, adverse_draw)

    # -- inspection ----------------------------------------------------------------------

    def resting_orders(self) -> tuple[RestingOrder, ...]:
        """Every live order, bids then asks, each side in price priority."""
        return self._orders.views()

    def statistics(self) -> FillSimulatorStatistics:
        """Counters since construction."""
        orders = self._orders
        held = self._held
        return FillSimulatorStatistics(
            orders_accepted=orders.accepted,
            orders_rejected=self._rejected,
            orders_canceled=orders.canceled,
            orders_expired=orders.expired,
            orders_filled=orders.filled,
            fills=self._fills + held.confirmed,
            trades_seen=self._trades_seen,
            unknown_cancels=self._unknown_cancels,
            live_orders=len(orders),
            adverse_held=held.held,
            adverse_confirmed=held.confirmed,
            adverse_lapsed=held.lapsed,
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
