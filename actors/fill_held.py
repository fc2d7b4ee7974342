"""Adverse fills: fills held until the mid has moved, and kept only if it moved against us.

With ``fill.adverse_fill_ratio`` > 0 every decision makes a second draw, right after the
fill draw. A fill whose second draw is below the ratio is *held* and decided
``fill.adverse_horizon_s`` (H) after its trade, by the touch mid in force at
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
"""

from __future__ import annotations

from collections import deque

import attrs
import msgspec

from actors.fill_orders import NEVER, PaperOrder, PaperOrderBook
from events import Event, Fill


@attrs.define(eq=False)
class HeldFill:
    """A fill waiting for the touch mid ``adverse_horizon_s`` after its trade."""

    order: PaperOrder
    fill: Fill
    #: trade_ts + adverse horizon: decided by the touch mid in force at this time.
    decide_at: int


class HeldFills:
    """The fills held so far and not decided yet, and how the decided ones went.

    Kept in hold order, which is trade order and so ``decide_at`` order; ``due`` is the
    first event time at which the oldest is decided (NEVER when none is held).
    """

    def __init__(self, horizon_ns: int) -> None:
        self.horizon_ns = horizon_ns
        self._queue: deque[HeldFill] = deque()
        self.due = NEVER
        self.held = 0
        self.confirmed = 0
        self.lapsed = 0

    def hold(self, order: PaperOrder, fill: Fill) -> None:
        """Hold ``fill`` of ``order`` until the touch mid ``horizon_ns`` after its trade."""
        decide_at = fill.trade_ts + self.horizon_ns
        if not self._queue:
            self.due = decide_at + 1
        self._queue.append(HeldFill(order, fill, decide_at))
        order.holds += 1
        self.held += 1

    def decide(self, ts: int, mid: float, orders: PaperOrderBook) -> list[Event]:
        """Decide every held fill whose horizon ended before ``ts``, in hold order.

        Called before the event at ``ts`` changes anything. The simulator sees every touch
        update, and each of these fills would have been decided at an earlier event if one
        had come after its horizon: so ``mid``, the current touch mid, is the one in force
        at each horizon's end. A fill happens if that mid is strictly against us compared
        with the mid at its trade and its order has something left; an order that left the
        book meanwhile gets its OrderCanceled once its last held fill is decided. Orders
        these fills complete leave ``orders``, whose next drop is refreshed.

        Returns the confirmed Fills (at ``ts``) and those OrderCanceled, in order.
        """
        out: list[Event] = []
        done: list[PaperOrder] = []
        queue = self._queue
        while queue and queue[0].decide_at < ts:
            h = queue.popleft()
            order, fill = h.order, h.fill
            order.holds -= 1
            mid0 = fill.mid
            against = mid < mid0 if order.is_buy else mid > mid0  # False for NaN
            if against and order.remaining > 0.0:
                size = min(fill.sz, order.remaining)
                order.remaining -= size
                self.confirmed += 1
                out.append(msgspec.structs.replace(fill, ts=ts, sz=size, remaining=max(order.remaining, 0.0)))
                if order.remaining <= 0.0 and not order.closing:
                    done.append(order)  # still on the book: filled
            else:
                self.lapsed += 1
            if order.closing and not order.holds:
                orders.close(ts, order, order.closing, out)
        self.due = queue[0].decide_at + 1 if queue else NEVER
        for order in done:
            orders.complete(order)
        if done:
            orders.refresh_tops()
        orders.refresh_next_drop()
        return out
