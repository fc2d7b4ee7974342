"""Our orders as the quote engine believes them, built only from its own commands and
the fill simulator's answers.

An order is live from its PlaceOrder until OrderRejected, OrderCanceled or a Fill that
leaves nothing. An order with a cancel in flight no longer matches a ladder level, but it
still counts against the exposure limits, because it can fill until the cancel takes
effect. Oids are handed out in placement order and only grow.
"""

from __future__ import annotations

import attrs

from events import CancelOrder, Event, Fill, PlaceOrder
from events.orders import OrderSide


@attrs.define(eq=False)
class OwnOrder:
    """One of our orders as the engine believes it: live, or live with a cancel in flight."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    remaining: float
    level: int
    cycle: int
    cancel_pending: bool = False


@attrs.define(eq=False)
class OwnOrders:
    """Our live orders by oid, the next oid, and counters of the order flow."""

    # Insertion order is oid order (oids only grow), which keeps every walk over the
    # orders deterministic without sorting.
    orders: dict[int, OwnOrder] = attrs.Factory(dict)
    next_oid: int = 1
    placed: int = 0
    cancels_sent: int = 0
    accepted: int = 0
    rejected: int = 0
    canceled: int = 0
    fills: int = 0

    # -- the fill simulator's answers ---------------------------------------------------

    def on_fill(self, fill: Fill) -> None:
        """A fill of ours: the order keeps what remains, or is gone."""
        self.fills += 1
        order = self.orders.get(fill.oid)
        if order is None:
            return
        if fill.remaining <= 0.0:
            del self.orders[fill.oid]
        else:
            order.remaining = fill.remaining

    def on_accepted(self) -> None:
        self.accepted += 1

    def on_canceled(self, oid: int) -> None:
        self.canceled += 1
        self.orders.pop(oid, None)

    def on_rejected(self, oid: int) -> None:
        self.rejected += 1
        self.orders.pop(oid, None)

    # -- views --------------------------------------------------------------------------

    def live(self) -> list[OwnOrder]:
        """The orders without a cancel in flight, in oid order."""
        return [o for o in self.orders.values() if not o.cancel_pending]

    def committed(self) -> tuple[float, float]:
        """Remaining size of every order on each side (buy, sell), cancels in flight too."""
        committed_buy = 0.0
        committed_sell = 0.0
        for order in self.orders.values():
            if order.side == "buy":
                committed_buy += order.remaining
            else:
                committed_sell += order.remaining
        return committed_buy, committed_sell

    def unkept(self, kept: set[int]) -> list[OwnOrder]:
        """The live orders that are not in ``kept``: a cycle cancels them."""
        return [o for o in self.orders.values() if not o.cancel_pending and o.oid not in kept]

    @property
    def pending_cancels(self) -> int:
        return sum(1 for o in self.orders.values() if o.cancel_pending)

    def snapshot(self) -> list[dict[str, object]]:
        """Plain data of every order, in oid order."""
        return [attrs.asdict(order) for order in self.orders.values()]

    # -- commands -----------------------------------------------------------------------

    def place(self, ts: int, side: OrderSide, px: float, sz: float, level: int, cycle: int) -> PlaceOrder:
        """PlaceOrder for a new order with the next oid; it is live from now."""
        oid = self.next_oid
        self.next_oid += 1
        self.placed += 1
        self.orders[oid] = OwnOrder(oid=oid, side=side, px=px, sz=sz, remaining=sz, level=level, cycle=cycle)
        return PlaceOrder(ts=ts, oid=oid, side=side, px=px, sz=sz, level=level, cycle=cycle)

    def cancel(self, ts: int, orders: list[OwnOrder], reason: str) -> list[Event]:
        """CancelOrder for each order: best first on each side, bids before asks (oid
        breaks ties between equal prices). Sorts ``orders`` in place."""
        orders.sort(key=lambda o: (0, -o.px, o.oid) if o.side == "buy" else (1, o.px, o.oid))
        out: list[Event] = []
        for order in orders:
            order.cancel_pending = True
            out.append(CancelOrder(ts=ts, oid=order.oid, reason=reason))
        self.cancels_sent += len(orders)
        return out
