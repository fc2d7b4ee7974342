"""Our paper orders as the fill simulator keeps them, and how each one leaves the book.

An order is live from its PlaceOrder (it rests ``placement_latency_ms`` later) until it
is filled or its cancel or expiry takes effect. Each side is kept in price priority
(best first, ties by oid), so matching stops at the first order a trade does not reach,
and the book knows the next time an order leaves it, so that events before then skip
the search.
"""

from __future__ import annotations

import bisect
import math
from typing import Final

import attrs

from actors import queue_estimate
from events import BookSnapshot, Event, OrderCanceled, PlaceOrder
from events.orders import OrderSide

#: Deadline of an order that has none yet (later than any event time).
NEVER: Final = 2**63 - 1
_INF: Final = math.inf


@attrs.define(eq=False)
class PaperOrder:
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


def new_order(cmd: PlaceOrder, placement_ns: int, max_age_ns: int, queue_ahead: float) -> PaperOrder:
    """The order a PlaceOrder rests as: at ``cmd.ts + placement_ns``, for ``max_age_ns``."""
    rests_at = cmd.ts + placement_ns
    expires_at = rests_at + max_age_ns + 1
    return PaperOrder(
        oid=cmd.oid,
        side=cmd.side,
        is_buy=cmd.side == "buy",
        px=cmd.px,
        sz=cmd.sz,
        level=cmd.level,
        remaining=cmd.sz,
        rests_at=rests_at,
        expires_at=expires_at,
        drop_at=expires_at,
        queue_ahead=queue_ahead,
    )


def queue_at_join(book: BookSnapshot | None, px: float, is_buy: bool) -> float:
    """Depth mode: the size displayed at our level when we join its back."""
    if book is None:
        return 0.0
    if is_buy:
        return queue_estimate.queue_at_placement(book.bid_px, book.bid_sz, px, True)
    return queue_estimate.queue_at_placement(book.ask_px, book.ask_sz, px, False)


def _bid_priority(order: PaperOrder) -> tuple[float, int]:
    return (-order.px, order.oid)


def _ask_priority(order: PaperOrder) -> tuple[float, int]:
    return (order.px, order.oid)


class PaperOrderBook:
    """Our live orders, each side in price priority, and how many ended which way.

    ``top_bid`` and ``top_ask`` are our best prices (infinite when a side is empty) and
    ``next_drop_at`` the first time a cancel or expiry takes effect: together they let
    the simulator dismiss a trade that touches nothing with two comparisons.
    """

    def __init__(self) -> None:
        self.by_oid: dict[int, PaperOrder] = {}
        self.bids: list[PaperOrder] = []
        self.asks: list[PaperOrder] = []
        self.top_bid = -_INF
        self.top_ask = _INF
        self.next_drop_at = NEVER
        self.accepted = 0
        self.canceled = 0
        self.expired = 0
        self.filled = 0

    def __len__(self) -> int:
        return len(self.by_oid)

    def get(self, oid: int) -> PaperOrder | None:
        """The live order ``oid``; None once it has left the book (or never was on it)."""
        return self.by_oid.get(oid)

    def rejection(self, cmd: PlaceOrder, best_bid: float, best_ask: float) -> str | None:
        """Why a PlaceOrder is refused against the market's touch, or None when it may rest."""
        if not (math.isfinite(cmd.px) and cmd.px > 0.0):
            return "invalid_px"
        if not (math.isfinite(cmd.sz) and cmd.sz > 0.0):
            return "invalid_sz"
        if cmd.oid in self.by_oid:
            return "duplicate_oid"
        crosses = cmd.px >= best_ask if cmd.side == "buy" else cmd.px <= best_bid
        if crosses:
            return "post_only_would_cross"
        return None

    def add(self, order: PaperOrder) -> None:
        """Accept an order onto its side, in price priority."""
        self.by_oid[order.oid] = order
        if order.is_buy:
            bisect.insort(self.bids, order, key=_bid_priority)
        else:
            bisect.insort(self.asks, order, key=_ask_priority)
        if order.drop_at < self.next_drop_at:
            self.next_drop_at = order.drop_at
        self.accepted += 1
        self.refresh_tops()

    def cancel(self, order: PaperOrder, cancel_at: int) -> None:
        """Schedule the order's cancel to take effect at ``cancel_at``.

        A repeated cancel does not postpone the first one.
        """
        if order.cancel_at is not None:
            return
        order.cancel_at = cancel_at
        drop_at = order.drop_at = min(order.drop_at, cancel_at)
        if drop_at < self.next_drop_at:
            self.next_drop_at = drop_at

    def remove(self, order: PaperOrder) -> None:
        """Take an order off the book (the caller refreshes the tops and next drop)."""
        del self.by_oid[order.oid]
        (self.bids if order.is_buy else self.asks).remove(order)

    def complete(self, order: PaperOrder) -> None:
        """Take a filled order off the book (the caller refreshes the tops and next drop)."""
        self.filled += 1
        self.remove(order)

    def refresh_tops(self) -> None:
        """Recompute our best prices from the sides."""
        self.top_bid = self.bids[0].px if self.bids else -_INF
        self.top_ask = self.asks[0].px if self.asks else _INF

    def refresh_next_drop(self) -> None:
        """Recompute the next drop from the live orders."""
        self.next_drop_at = min((o.drop_at for o in self.by_oid.values()), default=NEVER)

    def drop_due(self, ts: int) -> list[Event]:
        """Take off every order whose cancel or expiry has taken effect by ``ts``.

        Returns their OrderCanceled, in drop order; an order with held fills leaves the
        book silently and gets its OrderCanceled from ``close`` once they are decided.
        """
        if ts < self.next_drop_at:
            return []
        due = sorted((o for o in self.by_oid.values() if o.drop_at <= ts), key=lambda o: (o.drop_at, o.oid))
        out: list[Event] = []
        for order in due:
            canceled = order.cancel_at is not None and order.cancel_at <= order.expires_at
            reason = "canceled" if canceled else "expired"
            self.remove(order)
            if order.holds:
                # Off the book (it fills no more), but fills held from its trades may still
                # happen: its OrderCanceled reports what they leave, once they are decided.
                order.closing = reason
                continue
            if canceled:
                self.canceled += 1
            else:
                self.expired += 1
            out.append(OrderCanceled(ts=ts, oid=order.oid, reason=reason, remaining=order.remaining))
        self.refresh_next_drop()
        self.refresh_tops()
        return out

    def close(self, ts: int, order: PaperOrder, reason: str, out: list[Event]) -> None:
        """Append the OrderCanceled of an order that left the book while it had held fills
        (none if they completed it: it counts as filled)."""
        if order.remaining <= 0.0:
            self.filled += 1
            return
        if reason == "canceled":
            self.canceled += 1
        else:
            self.expired += 1
        out.append(OrderCanceled(ts=ts, oid=order.oid, reason=reason, remaining=order.remaining))

    def clamp_queues(self, book: BookSnapshot) -> None:
        """Depth mode: a level showing less size than our queue estimate proves the queue shrank."""
        for order in self.bids:
            order.queue_ahead = queue_estimate.clamp_to_snapshot(
                order.queue_ahead, book.bid_px, book.bid_sz, order.px, True
            )
        for order in self.asks:
            order.queue_ahead = queue_estimate.clamp_to_snapshot(
                order.queue_ahead, book.ask_px, book.ask_sz, order.px, False
            )

    def views(self) -> tuple[RestingOrder, ...]:
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
            for o in (*self.bids, *self.asks)
        )
