"""The prediction tracker: every quote cycle's predictions with their outcomes, and markouts.

This is the second half of the architecture's outcome tracker (the first,
actors.outcome_tracker, keeps the PnL); it is an actor of its own so that the PnL hot
path stays as it is. It emits

* a **Markout** for every fill once its last horizon (10 s of event time) has passed
  (actors.markouts says how a markout is measured);
* a **CalibrationRecord** for every quote cycle, in cycle order, once its outcomes are
  known: ``fill_horizon_s`` plus the last markout horizon after the cycle (at the first
  book past that time). It holds the market state the cycle saw (mid, touch spread,
  sigma, kappa, regime, book imbalance, position), the model's predictions (each level's
  side, depth and predicted fill probability; the predicted adverse selection) and the
  outcome of every level.

**What a level's outcome is.** Each level of a cycle is rested by one order: an order
the cycle kept (a live order with the level's side, price and placed size, matched as
the quote engine matches them: oldest first) or the one it placed (``PlaceOrder.cycle``
and ``.level``). The level *filled* when that order fills after the cycle and within
``fill_horizon_s`` of it (``estimators.fill_horizon_s``, the horizon the fill-rate
estimator learns from); an order canceled, expired or rejected first cannot fill (the
fill simulator never fills a dropped order), so it did not. A level no order rested (a
risk limit, say) has no outcome (``oid == 0``). A filled level's realized adverse
selection is its first such fill's markout at ``estimators.markout_horizon_s``, negated
(positive is bad for us).

**Cheap by construction** (it runs inside every replay): the tracker needs no cancel,
cancel answer or rejection. The quote engine cancels every live order a cycle does not
keep, so the orders a cycle can keep are exactly those the previous cycle kept or
placed, minus the fully filled. An order the engine already knew was gone (expired or
rejected) is therefore matched here while the engine places a new order for that level
instead; that PlaceOrder is authoritative and takes the level over. So the tracker sees
books, Estimates, quote cycles, placements and fills, not the order churn; it keeps no
per-level state (a level's outcome is looked up from its order's fills when the record
is written) and allocates little that the garbage collector must track.

The handler is pure: event time only. Books are one comparison against the earliest due
time plus the touch kept.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from actors.base import NOTHING
from actors.config import Config
from actors.markouts import NEVER, NS_PER_S, MarkoutBook, horizons_with
from events import Bbo, BookSnapshot, Estimates, Event, Fill, PlaceOrder, QuoteCycle
from events.outcomes import CalibrationRecord, LevelOutcome

_BPS: Final = 1e4
NAN: Final = math.nan


class _Cycle:
    """A quote cycle waiting for its record: what it saw, and by level index the order
    resting each level (0: none)."""

    __slots__ = ("quote", "emit_at", "deadline", "fills_before", "est", "spread_bps", "book_imbalance", "oids",
                 "cursor")  # fmt: skip

    def __init__(
        self,
        quote: QuoteCycle,
        deadline: int,
        emit_at: int,
        fills_before: int,
        est: Estimates | None,
        spread_bps: float,
        imbalance: float,
    ) -> None:
        self.quote = quote
        self.deadline = deadline
        self.emit_at = emit_at
        #: Fills numbered above this happened after the cycle.
        self.fills_before = fills_before
        self.est = est
        self.spread_bps = spread_bps
        self.book_imbalance = imbalance
        self.oids = [0] * len(quote.levels)
        #: Where the next placement's level is looked for: they come in ladder order.
        self.cursor = 0


def book_imbalance(book: BookSnapshot, levels: int) -> float:
    """(bid size - ask size) / (bid size + ask size) over the top ``levels`` of each side;
    NaN for an empty book."""
    bid = sum(book.bid_sz[:levels])
    ask = sum(book.ask_sz[:levels])
    total = bid + ask
    return (bid - ask) / total if total > 0.0 and math.isfinite(total) else NAN


class PredictionTracker:
    """Markouts of our fills and the outcome of every quote cycle's predictions."""

    name: ClassVar[str] = "prediction_tracker"
    consumes: ClassVar[tuple[type[Event], ...]] = (BookSnapshot, Bbo, Estimates, QuoteCycle, PlaceOrder, Fill)

    def __init__(
        self,
        *,
        fill_horizon_s: float = 30.0,
        adverse_horizon_s: float = 5.0,
        imbalance_levels: int = 5,
    ) -> None:
        if not (fill_horizon_s > 0.0 and adverse_horizon_s >= 0.0 and imbalance_levels >= 1):
            raise ValueError("horizons must be positive and imbalance_levels at least 1")
        self.fill_horizon_s = float(fill_horizon_s)
        self.adverse_horizon_s = float(adverse_horizon_s)
        self.imbalance_levels = imbalance_levels
        self._markouts = MarkoutBook(horizons_with(adverse_horizon_s))
        self._adverse_i = self._markouts.horizons_s.index(float(adverse_horizon_s))
        self._horizon_ns = round(fill_horizon_s * NS_PER_S)
        # A record waits until every fill inside its horizon is marked out.
        self._record_delay_ns = self._horizon_ns + round(self._markouts.horizons_s[-1] * NS_PER_S)
        self._bid = NAN
        self._ask = NAN
        self._book: BookSnapshot | None = None
        self._estimates: Estimates | None = None
        self._previous_estimates: Estimates | None = None
        # The orders the next cycle can keep, by oid, as placed (frozen events: nothing
        # for the garbage collector). Insertion order is oid order: matching is oldest first.
        self._orders: dict[int, PlaceOrder] = {}
        self._cycles: deque[_Cycle] = deque()
        # Fills a pending record may still need: per oid, (fill number, ts, level) in
        # fill order; every fill in order for pruning; realized adverse bps by number.
        self._fills_by_oid: dict[int, list[tuple[int, int, int]]] = {}
        self._fill_log: deque[tuple[int, int]] = deque()
        self._adverse: dict[int, float] = {}
        self._due = NEVER
        self._records = 0

    @classmethod
    def from_config(cls, config: Config) -> PredictionTracker:
        """The tracker with the session's fill and adverse-selection horizons."""
        est = config.estimators
        return cls(
            fill_horizon_s=est.fill_horizon_s,
            adverse_horizon_s=est.markout_horizon_s,
            imbalance_levels=est.book_imbalance_levels,
        )

    @property
    def mid(self) -> float:
        """The touch mid in force (NaN before any usable book)."""
        return 0.5 * (self._bid + self._ask)

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the Markout and CalibrationRecord events it completes."""
        tp = type(event)
        # Most frequent first: BBOs on recorded and live feeds, placements on the
        # synthetic market, then books.
        if tp is Bbo:
            ts = event.ts
            out = self._advance(ts) if ts > self._due else NOTHING
            bid = event.bid_px  # type: ignore[attr-defined]
            ask = event.ask_px  # type: ignore[attr-defined]
            # An empty side is 0.0, and NaN fails both comparisons: a bad touch keeps
            # the last good one.
            if bid > 0.0 and ask > 0.0:
                self._bid = bid
                self._ask = ask
            return out
        if tp is PlaceOrder:
            self._on_place(event)  # type: ignore[arg-type]
            return NOTHING
        if tp is BookSnapshot:
            ts = event.ts
            out = self._advance(ts) if ts > self._due else NOTHING
            self._book = event  # type: ignore[assignment]
            bids = event.bid_px  # type: ignore[attr-defined]
            asks = event.ask_px  # type: ignore[attr-defined]
            if bids and asks:
                bid = bids[0]
                ask = asks[0]
                if bid > 0.0 and ask > 0.0:
                    self._bid = bid
                    self._ask = ask
            return out
        if tp is QuoteCycle:
            self._on_cycle(event)  # type: ignore[arg-type]
        elif tp is Estimates:
            self._previous_estimates = self._estimates
            self._estimates = event  # type: ignore[assignment]
        elif tp is Fill:
            self._on_fill(event)  # type: ignore[arg-type]
        return NOTHING

    # -- time passing -------------------------------------------------------------------

    def _advance(self, ts: int) -> Sequence[Event]:
        """Emit what became known before ``ts``: markouts, then the records they complete."""
        out: list[Event] = []
        markouts = self._markouts
        if ts > markouts.next_due:
            adverse = self._adverse
            i = self._adverse_i
            for markout in markouts.advance(ts, 0.5 * (self._bid + self._ask)):
                out.append(markout)
                bps = markout.bps[i]
                adverse[markout.fill] = 0.0 - bps if math.isfinite(bps) else NAN
        cycles = self._cycles
        while cycles and cycles[0].emit_at < ts:
            out.append(self._record(ts, cycles.popleft()))
        # Fills before the oldest pending cycle are needed by no record (once marked out).
        log = self._fill_log
        if cycles:
            if log and log[0][0] <= cycles[0].fills_before:
                self._prune(min(cycles[0].fills_before, markouts.completed))
            due = cycles[0].emit_at
        else:
            if log:
                self._prune(markouts.completed)
            due = NEVER
        self._due = min(due, markouts.next_due)
        return out

    def _prune(self, before: int) -> None:
        """Forget fills numbered ``before`` or less: no pending record can need them."""
        log = self._fill_log
        by_oid = self._fills_by_oid
        while log and log[0][0] <= before:
            number, oid = log.popleft()
            fills = by_oid[oid]
            del fills[0]
            if not fills:
                del by_oid[oid]
            self._adverse.pop(number, None)

    # -- quote cycles and orders --------------------------------------------------------

    def _on_cycle(self, q: QuoteCycle) -> None:
        ts = q.ts
        # The Estimates the engine priced this cycle with: one emitted on this cycle's
        # own book (Estimates come on books only) reached it only after it had quoted.
        est = self._estimates
        if est is not None and est.ts == ts:
            est = self._previous_estimates
        bid, ask, book = self._bid, self._ask, self._book
        cycle = _Cycle(
            q, ts + self._horizon_ns, ts + self._record_delay_ns, self._markouts.fills, est,
            (ask - bid) / (0.5 * (bid + ask)) * _BPS,
            book_imbalance(book, self.imbalance_levels) if book is not None else NAN,
        )  # fmt: skip
        orders = self._orders
        if orders:
            oids = cycle.oids
            # Prices index the live orders (oldest first); side and size are then
            # checked, and a shared price falls back to walking them all.
            by_px: dict[float, int] = {}
            for oid, o in orders.items():
                by_px.setdefault(o.px, oid)
            kept = 0
            for i, lv in enumerate(q.levels):
                px = lv.px
                oid = by_px.get(px, 0)
                if oid:
                    o = orders[oid]
                    side, sz = lv.side, lv.sz
                    if not (o.side == side and o.sz == sz and oid not in oids):
                        # Another order shares the price: walk them all, oldest first.
                        oid = 0
                        for other, o in orders.items():
                            if o.px == px and o.side == side and o.sz == sz and other not in oids:
                                oid = other
                                break
                    if oid:
                        oids[i] = oid
                        kept += 1
            if kept < len(orders):
                # The engine cancels every order the cycle does not keep.
                self._orders = {oid: o for oid, o in orders.items() if oid in oids}
        self._cycles.append(cycle)
        if cycle.emit_at < self._due:
            self._due = cycle.emit_at

    def _on_place(self, cmd: PlaceOrder) -> None:
        oid = cmd.oid
        self._orders[oid] = cmd
        if not self._cycles:
            return
        cycle = self._cycles[-1]
        if cmd.cycle != cycle.quote.cycle:
            return
        side = cmd.side
        number = cmd.level
        levels = cycle.quote.levels
        n = len(levels)
        i = cycle.cursor
        while i < n and (levels[i].level != number or levels[i].side != side):
            i += 1
        if i == n:  # not in ladder order after all: look everywhere
            i = next((j for j, lv in enumerate(levels) if lv.level == number and lv.side == side), n)
            if i == n:
                return
        cycle.cursor = i + 1
        old = cycle.oids[i]
        if old:
            # Matched here to an order the engine knew was gone (expired, rejected): it
            # placed this one instead, so this one rests the level.
            self._orders.pop(old, None)
        cycle.oids[i] = oid

    def _on_fill(self, fill: Fill) -> None:
        mid = 0.5 * (self._bid + self._ask)
        if fill.trade_ts or not math.isfinite(mid):
            # A fill held for an adverse move (fill.adverse_fill_ratio) is logged at the
            # book that moved: its reference is the mid when its trade printed.
            mid = fill.mid
        markouts = self._markouts
        number = markouts.add(fill, mid)
        oid = fill.oid
        entry = (number, fill.ts, fill.level)
        fills = self._fills_by_oid.get(oid)
        if fills is None:
            self._fills_by_oid[oid] = [entry]
        else:
            fills.append(entry)
        self._fill_log.append((number, oid))
        if fill.remaining <= 0.0:
            self._orders.pop(oid, None)
        if markouts.next_due < self._due:
            self._due = markouts.next_due

    # -- records ------------------------------------------------------------------------

    def _record(self, ts: int, cycle: _Cycle) -> CalibrationRecord:
        q = cycle.quote
        self._records += 1
        by_oid = self._fills_by_oid
        after = cycle.fills_before
        deadline = cycle.deadline
        adverse = self._adverse
        out = []
        # Positional, in field order: this runs once per level of every cycle.
        for lv, oid in zip(q.levels, cycle.oids, strict=False):  # equal lengths by construction
            hit = None
            fills = by_oid.get(oid) if oid else None
            if fills:
                # The order's first fill after the cycle counts, if within the horizon.
                for fill in fills:
                    if fill[0] > after:
                        if fill[1] <= deadline:
                            hit = fill
                        break
            if hit is None:
                out.append(LevelOutcome(lv.side, lv.level, lv.depth_bps, lv.p_fill, oid, False, 0, -1, 0.0))
            else:
                out.append(LevelOutcome(lv.side, lv.level, lv.depth_bps, lv.p_fill, oid, True, hit[1], hit[2],
                                        adverse.get(hit[0], NAN)))  # fmt: skip
        est = cycle.est
        if est is None:
            regime, predicted, p_bid, p_ask = "", NAN, NAN, NAN
        else:
            regime = est.regime
            predicted = est.adverse_selection_bps
            p_bid = est.adverse_probability_bid
            p_ask = est.adverse_probability_ask
        return CalibrationRecord(
            ts, q.cycle, q.ts, self.fill_horizon_s, self.adverse_horizon_s, q.mid, cycle.spread_bps, q.sigma,
            q.kappa, regime, cycle.book_imbalance, q.half_spread_bps, q.skew_bps, q.position, predicted, p_bid,
            p_ask, tuple(out),
        )  # fmt: skip

    # -- introspection ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Plain data of where the tracker stands (for stepping and debugging)."""
        return {
            "actor": self.name,
            "fill_horizon_s": self.fill_horizon_s,
            "adverse_horizon_s": self.adverse_horizon_s,
            "markout_horizons_s": list(self._markouts.horizons_s),
            "fills": self._markouts.fills,
            "markouts_emitted": self._markouts.completed,
            "markouts_pending": len(self._markouts.pending),
            "records_emitted": self._records,
            "cycles_pending": len(self._cycles),
            "live_orders": len(self._orders),
            "mid": None if math.isnan(self.mid) else self.mid,
        }
