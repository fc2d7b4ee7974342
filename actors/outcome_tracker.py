"""The outcome tracker: marks the session's fills to the mid and attributes the PnL.

It emits a PnL record after every fill and, between fills, at most one per
``pnl_interval_s`` of event time: on the first mid update at or after the last record
plus the interval whose mid differs from the one last recorded (an unchanged mid leaves
every figure unchanged, so it would only repeat the last record). The bookkeeping and
the attribution rules live in ``actors.pnl_attribution``.

Market events are the hot path (the graph replays tens of thousands a second), so a
book or mid that does not produce a record costs a mid, a finiteness check, a deque
peek and two comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from actors.base import NOTHING
from actors.config import FeesSection, OutcomeSection
from actors.pnl_attribution import PnlLedger
from events import BookSnapshot, Event, Fill, Mids, PnL
from events.base import SEC_NS

#: Before the first record any mid update is due.
_NEVER = -(2**63)


class OutcomeTracker:
    """Position, cash, fees, realized and unrealized PnL, and their attribution.

    Consumes our fills and the market's mids (book touch and Mids events; non-finite
    mids are ignored) and emits ``PnL`` records whose four parts (spread capture,
    adverse selection, inventory, fees) sum to the total.
    """

    name: ClassVar[str] = "outcome_tracker"
    consumes: ClassVar[tuple[type[Event], ...]] = (Fill, BookSnapshot, Mids)

    def __init__(self, cfg: OutcomeSection, fees: FeesSection) -> None:
        self.cfg = cfg
        self.fees = fees
        self._interval_ns = round(cfg.pnl_interval_s * SEC_NS)
        self._ledger = PnlLedger(horizon_ns=round(cfg.adverse_horizon_s * SEC_NS), maker_fee_rate=fees.maker)
        self._next_record_ts = _NEVER
        self._recorded_mid = math.nan
        self._records = 0

    def handle(self, event: Event) -> Sequence[Event]:
        """Apply a fill (always recorded) or a mid update (recorded on the cadence)."""
        if type(event) is BookSnapshot:
            # The touch mid, inlined from BookSnapshot.mid: this is the hottest line.
            bids = event.bid_px
            asks = event.ask_px
            if not bids or not asks:
                return NOTHING
            mid = 0.5 * (bids[0] + asks[0])
        elif type(event) is Mids:
            mid = event.mid
        elif type(event) is Fill:
            return self._on_fill(event)
        else:
            return NOTHING
        if not math.isfinite(mid):
            return NOTHING
        ts = event.ts
        self._ledger.mark(ts, mid)
        if ts < self._next_record_ts or mid == self._recorded_mid:
            return NOTHING
        return (self._record(ts),)

    def _on_fill(self, fill: Fill) -> Sequence[Event]:
        ledger = self._ledger
        ledger.advance(fill.ts)
        ledger.apply_fill(fill)
        return (self._record(fill.ts),)

    def _record(self, ts: int) -> PnL:
        ledger = self._ledger
        self._next_record_ts = ts + self._interval_ns
        self._recorded_mid = ledger.mid
        self._records += 1
        return PnL(
            ts=ts,
            mid=ledger.mid,
            position=ledger.position,
            cash=ledger.cash.value,
            realized=ledger.realized,
            unrealized=ledger.unrealized,
            total=ledger.total,
            spread_capture=ledger.spread_capture,
            adverse_selection=ledger.adverse_selection,
            inventory=ledger.inventory,
            fees=ledger.fees,
            volume=ledger.volume,
            fills=ledger.fills,
        )

    def summary(self) -> dict[str, Any]:
        """Plain data: position, cash, realized, unrealized, total, its four parts, fees
        (the negative fee part) and fees_paid, volume, and the fill counts."""
        return self._ledger.summary()

    def snapshot(self) -> dict[str, Any]:
        """Plain data for a checkpoint: the summary plus where the tracker stands."""
        ledger = self._ledger
        return {
            "actor": self.name,
            "summary": ledger.summary(),
            "pending_fills": len(ledger.pending),
            "records": self._records,
            "next_record_ts": None if self._next_record_ts == _NEVER else self._next_record_ts,
            "adverse_horizon_s": self.cfg.adverse_horizon_s,
            "pnl_interval_s": self.cfg.pnl_interval_s,
            "maker_fee_rate": self.fees.maker,
        }
