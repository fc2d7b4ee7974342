"""The PnL ledger: position, cash, fees, average-cost realized PnL and its attribution.

Every fill (signed quantity ``s``: + buy, - sell; price ``p``; mid at the fill ``m``;
mid at the end of its adverse-selection horizon ``h``) contributes

    s * (mid_now - p) = s * (m - p)          spread capture
                      + s * (h - m)          adverse selection
                      + s * (mid_now - h)    inventory

and these sum over fills to ``cash + position * mid_now``; minus the fees paid that is
the total. While a fill is inside its horizon ``h`` is the current mid, so its whole
mark-to-market is adverse selection and its inventory part is zero; once the horizon
has passed, ``h`` freezes at the mid in force at the horizon's end.

So each part is a running sum: frozen fills fold into ``(sum s, sum s*h, sum s*(h-m))``
and pending ones into ``(sum s, sum s*m)``. Only fills still inside their horizon are
held one by one, in a deque in fill order (the horizon is one constant, so fill order is
horizon-end order and freezing only ever pops from the left).

Realized PnL follows the average-cost method: closing ``c`` units at ``p`` realizes
``c * (p - average entry)``. Summed over the session that is exactly the cash not tied up
in the open position's cost basis, ``cash + cost_basis``, which is how it is computed:
``realized + unrealized == cash + position * mid`` then holds to a few ulps instead of
drifting by the rounding of every average-price update.

Running sums are compensated (Neumaier) so that the identities hold to a few ulps of the
largest term for any session length, not to an error that grows with the number of fills.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import attrs

from events import Fill

NAN = float("nan")

#: A position this small relative to the fill that reduced it is the binary residue of
#: decimal sizes (0.1 + 0.2 - 0.3 != 0), not a holding: the position is flat.
FLAT_TOLERANCE = 1e-9


@attrs.define
class CompensatedSum:
    """A running float sum with Neumaier compensation: the error stays a few ulps."""

    hi: float = 0.0
    lo: float = 0.0

    def add(self, x: float) -> None:
        """Add ``x``, carrying the low-order bits lost by the addition into ``lo``."""
        hi = self.hi
        t = hi + x
        if abs(hi) >= abs(x):
            self.lo += (hi - t) + x
        else:
            self.lo += (x - t) + hi
        self.hi = t

    def reset(self) -> None:
        """Back to exactly zero (an emptied sum must not keep its rounding residue)."""
        self.hi = 0.0
        self.lo = 0.0

    @property
    def value(self) -> float:
        """The sum, rounded once."""
        return self.hi + self.lo


@attrs.define
class PnlLedger:
    """Position, cash, fees and realized PnL of the session, with the PnL attribution.

    Pure bookkeeping: the caller supplies event times (int ns) and finite mids.
    """

    horizon_ns: int
    maker_fee_rate: float
    #: The mark: the latest finite mid; NaN until one is known.
    mid: float = NAN
    position_sum: CompensatedSum = attrs.field(factory=CompensatedSum)
    #: Signed cost of the open position at its average entry price (0 when flat).
    cost_basis: float = 0.0
    #: Sum of -s * p over fills: what buying cost and selling brought, before fees.
    cash: CompensatedSum = attrs.field(factory=CompensatedSum)
    fees_paid_sum: CompensatedSum = attrs.field(factory=CompensatedSum)
    volume_sum: CompensatedSum = attrs.field(factory=CompensatedSum)
    fills: int = 0
    buys: int = 0
    sells: int = 0
    spread_sum: CompensatedSum = attrs.field(factory=CompensatedSum)
    # Fills past their horizon: sum s, sum s*h, sum s*(h - m).
    frozen_qty: CompensatedSum = attrs.field(factory=CompensatedSum)
    frozen_horizon_value: CompensatedSum = attrs.field(factory=CompensatedSum)
    frozen_adverse: CompensatedSum = attrs.field(factory=CompensatedSum)
    # Fills inside their horizon: (horizon end ns, s, m) in fill order; sum s, sum s*m.
    pending: deque[tuple[int, float, float]] = attrs.field(factory=deque)
    pending_qty: CompensatedSum = attrs.field(factory=CompensatedSum)
    pending_fill_value: CompensatedSum = attrs.field(factory=CompensatedSum)

    # -- updates --------------------------------------------------------------------

    def advance(self, ts: int) -> None:
        """Freeze the fills whose horizon ended before ``ts`` at the current mark.

        Called before the event at ``ts`` changes the mark, so the mark used is the mid
        in force at each horizon's end. A fill whose horizon ends exactly at ``ts``
        stays pending: its horizon mid includes an update at ``ts``, and a pending fill
        is marked at the current mid, which is that same value.
        """
        pending = self.pending
        if pending and pending[0][0] < ts:
            self._freeze(ts)

    def mark(self, ts: int, mid: float) -> None:
        """Move the mark to the finite ``mid`` seen at ``ts``, after freezing what ended."""
        pending = self.pending
        if pending and pending[0][0] < ts:
            self._freeze(ts)
        self.mid = mid

    def _freeze(self, ts: int) -> None:
        pending = self.pending
        h = self.mid
        while pending and pending[0][0] < ts:
            _, s, m = pending.popleft()
            self.pending_qty.add(-s)
            self.pending_fill_value.add(-s * m)
            self.frozen_qty.add(s)
            self.frozen_horizon_value.add(s * h)
            self.frozen_adverse.add(s * (h - m))
        if not pending:
            self.pending_qty.reset()
            self.pending_fill_value.reset()

    def apply_fill(self, fill: Fill) -> None:
        """Book one maker fill: position, average cost, cash, fee and its attribution.

        The caller has already called ``advance(fill.ts)``. The fill's own mid is used
        when finite, else the mark; with no mid at all the fill price stands in (the
        fill then captures no spread). A ledger with no mark adopts that mid as its mark.
        """
        s = fill.sz if fill.side == "buy" else -fill.sz
        px = fill.px
        m = fill.mid
        if not math.isfinite(m):
            m = self.mid if not math.isnan(self.mid) else px
        if math.isnan(self.mid):
            self.mid = m

        notional = fill.sz * px
        self.fees_paid_sum.add(self.maker_fee_rate * notional)
        self.volume_sum.add(notional)
        self.cash.add(-s * px)
        self.fills += 1
        if s > 0.0:
            self.buys += 1
        else:
            self.sells += 1
        self._apply_position(s, px)

        # A held adverse fill (Fill.trade_ts, fill.adverse_fill_ratio) is booked when it is
        # logged, at its order price, while ``m`` is the mid when its trade printed: spread
        # capture is the edge against that mid, and its adverse-selection window runs from
        # the trade to ``ts`` + horizon, so the move during the hold (against us by
        # construction) is adverse selection, never inventory. The parts still sum to
        # cash + position * mid: the fill enters the position only when it is booked.
        self.spread_sum.add(s * (m - px))
        self.pending.append((fill.ts + self.horizon_ns, s, m))
        self.pending_qty.add(s)
        self.pending_fill_value.add(s * m)

    def _apply_position(self, s: float, px: float) -> None:
        """Average cost: adding moves the average entry, reducing keeps it, flipping
        closes the whole position and opens the remainder at ``px``."""
        q = self.position_sum.value
        self.position_sum.add(s)
        if q == 0.0 or (q > 0.0) == (s > 0.0):
            self.cost_basis += s * px
            return
        avg = self.cost_basis / q
        new_q = self.position_sum.value
        if abs(new_q) <= FLAT_TOLERANCE * abs(s):
            # Close the residue at the fill price: cash + position * mid then moves only
            # by residue * (mid - px), far below a cent.
            self.cash.add(new_q * px)
            self.position_sum.reset()
            self.cost_basis = 0.0
        elif (new_q > 0.0) == (q > 0.0):
            self.cost_basis = avg * new_q
        else:
            self.cost_basis = new_q * px

    # -- the figures of a PnL record ------------------------------------------------

    @property
    def _mark(self) -> float:
        """The mark for valuation; before any mid there is no fill, so 0 values nothing."""
        return self.mid if not math.isnan(self.mid) else 0.0

    @property
    def position(self) -> float:
        """Contracts held: positive long, negative short."""
        return self.position_sum.value

    @property
    def avg_entry_px(self) -> float:
        """Average entry price of the open position; NaN when flat."""
        q = self.position
        return self.cost_basis / q if q != 0.0 else NAN

    @property
    def realized(self) -> float:
        """Average-cost realized PnL (the module docstring says why it is this sum)."""
        return self.cash.value + self.cost_basis

    @property
    def unrealized(self) -> float:
        return self.position * self._mark - self.cost_basis

    @property
    def fees_paid(self) -> float:
        """Fees paid, positive; a maker rebate makes it negative."""
        return self.fees_paid_sum.value

    @property
    def volume(self) -> float:
        """USD notional traded."""
        return self.volume_sum.value

    @property
    def total(self) -> float:
        """Marked-to-mid PnL: cash + position * mid - fees paid."""
        return self.cash.value + self.position * self._mark - self.fees_paid

    @property
    def spread_capture(self) -> float:
        return self.spread_sum.value

    @property
    def adverse_selection(self) -> float:
        pending = self.pending_qty.value * self._mark - self.pending_fill_value.value
        return self.frozen_adverse.value + pending

    @property
    def inventory(self) -> float:
        return self.frozen_qty.value * self._mark - self.frozen_horizon_value.value

    @property
    def fees(self) -> float:
        """The fee part of PnL: minus the fees paid (0.0, not -0.0, before any fee)."""
        return 0.0 - self.fees_paid

    def summary(self) -> dict[str, Any]:
        """Plain data: the figures of the session so far (None for an unknown price)."""
        avg = self.avg_entry_px
        return {
            "mid": None if math.isnan(self.mid) else self.mid,
            "position": self.position,
            "avg_entry_px": None if math.isnan(avg) else avg,
            "cash": self.cash.value,
            "realized": self.realized,
            "unrealized": self.unrealized,
            "total": self.total,
            "spread_capture": self.spread_capture,
            "adverse_selection": self.adverse_selection,
            "inventory": self.inventory,
            "fees": self.fees,
            "fees_paid": self.fees_paid,
            "volume": self.volume,
            "fills": self.fills,
            "buys": self.buys,
            "sells": self.sells,
        }
