"""The prediction tracker: every quote cycle's predictions with their outcomes, and markouts.

This is the second half of the architecture's outcome tracker (the first,
actors.outcome_tracker, keeps the PnL); it is an actor of its own so that the PnL hot
path stays as it is. It emits

* a **Markout** for every fill once its last horizon (10 s of event time) has passed
  (actors.markouts says how a markout is measured);
* a **CalibrationRecord** for every quote cycle, in cycle order, once its outcomes are
  known: ``fill_horizon_s`` plus the last markout horizon after the cycle (at the first
  book past that time). It holds the market state the cycle saw (mid, touch spread,
  sigma, kappa, regime, book imbalance, position), the model's predictions (the cycle's
  ladder as quoted: each level's side, price, size, depth and predicted fill
  probability; the predicted adverse selection) and the outcome of every level: the
  order that rested it and, for the levels that filled, when, the level the order was
  placed for and the realized adverse selection.

**What a level's outcome is.** Each level of a cycle is rested by the order the quote
engine names for it in ``QuoteCycle.oids``: one the cycle kept or the one it places (the
engine is the authority; the tracker does not guess). The level *filled* when that order
fills after the cycle and within ``fill_horizon_s`` of it (``estimators.fill_horizon_s``,
the horizon the fill-rate estimator learns from); an order canceled, expired or rejected
first cannot fill (the fill simulator never fills a dropped order), so it did not. A
filled level's realized adverse selection is its first such fill's markout at
``estimators.markout_horizon_s``, negated (positive is bad for us).

**Cheap by construction** (it runs inside every replay, and its cost is a share of every
replay's: ``make bench`` prints it): the tracker sees books, Estimates, quote cycles and
fills, not the order churn; it keeps no per-level state (a level's outcome is looked up
from its order's fills when the record is written), reuses the QuoteCycle's own ladder
and oids tuples and takes its market state when the cycle is quoted, while the book and
the Estimates are at hand, not 40 s later.

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
from actors.markouts import NEVER, MarkoutBook, horizons_with
from events import Bbo, BookSnapshot, Estimates, Event, Fill, QuoteCycle
from events.base import SEC_NS
from events.outcomes import CalibrationRecord, LevelFill

_BPS: Final = 1e4
NAN: Final = math.nan


#: A quote cycle waiting for its record, as one tuple: (emit_at, fills_before, deadline,
#: oids, fields). ``fills_before``: fills numbered above it happened after the cycle;
#: ``deadline``: the last time a fill counts; ``oids``: by level index, the order resting
#: the level; ``fields``: the record's fields from ``cycle`` to ``levels``, taken while the
#: cycle's book and Estimates are at hand.
_Pending = tuple[int, int, int, tuple[int, ...], tuple[Any, ...]]


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
    consumes: ClassVar[tuple[type[Event], ...]] = (BookSnapshot, Bbo, Estimates, QuoteCycle, Fill)

    def __init__(
        self,
        *,
        fill_horizon_s: float = 30.0,
        adverse_horizon_s: float = 5.0,
        imbalance_levels: int = 5,
        hold_s: float = 0.0,
    ) -> None:
        if not (fill_horizon_s > 0.0 and adverse_horizon_s >= 0.0 and imbalance_levels >= 1):
            raise ValueError("horizons must be positive and imbalance_levels at least 1")
        self.fill_horizon_s = float(fill_horizon_s)
        self.adverse_horizon_s = float(adverse_horizon_s)
        self.imbalance_levels = imbalance_levels
        # hold_s > 0: fills may arrive that long after their trade (actors.markouts).
        self._markouts = MarkoutBook(horizons_with(adverse_horizon_s), hold_s=hold_s)
        self._adverse_i = self._markouts.horizons_s.index(float(adverse_horizon_s))
        self._horizon_ns = round(fill_horizon_s * SEC_NS)
        # A record waits until every fill inside its horizon is marked out.
        self._record_delay_ns = self._horizon_ns + round(self._markouts.horizons_s[-1] * SEC_NS)
        self._bid = NAN
        self._ask = NAN
        self._book: BookSnapshot | None = None
        self._estimates: Estimates | None = None
        self._previous_estimates: Estimates | None = None
        self._cycles: deque[_Pending] = deque()
        # Fills a pending record may still need: per oid, (fill number, ts, level) in
        # fill order; every fill in order for pruning; realized adverse bps by number.
        self._fills_by_oid: dict[int, list[tuple[int, int, int]]] = {}
        self._fill_log: deque[tuple[int, int]] = deque()
        self._adverse: dict[int, float] = {}
        self._due = self._markouts.next_due
        self._records = 0

    @classmethod
    def from_config(cls, config: Config) -> PredictionTracker:
        """The tracker with the session's fill and adverse-selection horizons."""
        est = config.estimators
        return cls(
            fill_horizon_s=est.fill_horizon_s,
            adverse_horizon_s=est.markout_horizon_s,
            imbalance_levels=est.book_imbalance_levels,
            hold_s=config.fill.adverse_horizon_s if config.fill.adverse_fill_ratio > 0.0 else 0.0,
        )

    @property
    def mid(self) -> float:
        """The touch mid in force (NaN before any usable book)."""
        return 0.5 * (self._bid + self._ask)

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the Markout and CalibrationRecord events it completes."""
        tp = type(event)
        # Most frequent first: BBOs on recorded and live feeds, books on the synthetic
        # market. The frequent cases are inline: a method call costs as much as their
        # whole work.
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
        markouts = self._markouts
        if ts > markouts.next_due:
            out: list[Event] = markouts.advance(ts, 0.5 * (self._bid + self._ask))  # type: ignore[assignment]
            if out:
                adverse = self._adverse
                i = self._adverse_i
                isfinite = math.isfinite
                for markout in out:
                    bps = markout.bps[i]  # type: ignore[attr-defined]
                    adverse[markout.fill] = 0.0 - bps if isfinite(bps) else NAN  # type: ignore[attr-defined]
        else:
            out = []
        cycles = self._cycles
        if cycles and cycles[0][0] < ts:
            record = self._record
            while cycles and cycles[0][0] < ts:
                out.append(record(ts, cycles.popleft()))
        # Fills before the oldest pending cycle are needed by no record (once marked out).
        log = self._fill_log
        if cycles:
            before = cycles[0][1]
            if log and log[0][0] <= before:
                completed = markouts.completed
                self._prune(before if before < completed else completed)
            due = cycles[0][0]
        else:
            if log:
                self._prune(markouts.completed)
            due = NEVER
        next_due = markouts.next_due
        self._due = due if due < next_due else next_due
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
        bid, ask = self._bid, self._ask
        book = self._book
        if est is None:
            regime, predicted, p_bid, p_ask = "", NAN, NAN, NAN
        else:
            regime = est.regime
            predicted = est.adverse_selection_bps
            p_bid = est.adverse_probability_bid
            p_ask = est.adverse_probability_ask
        emit_at = ts + self._record_delay_ns
        fields = (
            q.cycle, ts, self.fill_horizon_s, self.adverse_horizon_s, q.mid, (ask - bid) / (0.5 * (bid + ask)) * _BPS,
            q.sigma, q.kappa, regime, book_imbalance(book, self.imbalance_levels) if book is not None else NAN,
            q.half_spread_bps, q.skew_bps, q.position, predicted, p_bid, p_ask, q.levels,
        )  # fmt: skip
        self._cycles.append((emit_at, self._markouts.fills, ts + self._horizon_ns, q.oids, fields))
        if emit_at < self._due:
            self._due = emit_at

    def _on_fill(self, fill: Fill) -> None:
        mid = 0.5 * (self._bid + self._ask)
        if fill.trade_ts or not math.isfinite(mid):
            # A fill held for an adverse move (fill.adverse_fill_ratio) is logged after
            # its trade: its reference is the mid when its trade printed.
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
        if markouts.next_due < self._due:
            self._due = markouts.next_due

    # -- records ------------------------------------------------------------------------

    def _record(self, ts: int, cycle: _Pending) -> CalibrationRecord:
        _, after, deadline, oids, fields = cycle
        self._records += 1
        fills: tuple[LevelFill, ...] = ()
        by_oid = self._fills_by_oid
        if by_oid and not by_oid.keys().isdisjoint(oids):
            adverse = self._adverse
            found = []
            i = -1
            for oid in oids:
                i += 1
                order_fills = by_oid.get(oid)
                if order_fills:
                    # The order's first fill after the cycle counts, if within the horizon.
                    for number, fill_ts, level in order_fills:
                        if number > after:
                            if fill_ts <= deadline:
                                found.append(LevelFill(i, fill_ts, level, adverse.get(number, NAN)))
                            break
            if found:
                fills = tuple(found)
        # Positional, in field order; the ladder and oids are the QuoteCycle's own tuples.
        f = fields
        return CalibrationRecord(
            ts, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15],
            f[16], oids, fills,
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
            "mid": None if math.isnan(self.mid) else self.mid,
        }
