"""Markouts of our fills: how the mid moved 0.5, 1, 2, 5 and 10 s of event time later.

A fill's markout at horizon ``h`` is the touch mid in force at ``t0 + h`` (the last one
logged at or before that time) against the mid in force at the fill, in bps of the
latter, signed so that positive is good for us: the mid rose after a buy, fell after a
sell. ``t0`` is when the fill happened: its trade's time ``Fill.trade_ts`` when set (a
fill held by ``fill.adverse_fill_ratio`` is logged ``fill.adverse_horizon_s`` or more
after its trade), else the Fill's ``ts``; the reference mid of such a fill is its
``Fill.mid``, the touch mid when its trade printed. It is the same definition as
``papermm fills`` (replay.fills) computes from a log.

The mid at ``t`` is final only once an event later than ``t`` has been seen, so the book
resolves a horizon when the caller reports an event with ``ts > t0 + h``, *before* moving
its mid to that event's. Pure bookkeeping, no actor: the prediction tracker
(actors.predictions) feeds it and emits the Markout events, in fill order.

**Late fills.** A held fill arrives after some of its horizons have passed. Those are
resolved from a short history of the mids the caller reported, which the book keeps only
when built with ``hold_s > 0`` (the tracker does so when adverse fills are on): it then
asks to be advanced on every event with a new time (``next_due`` is the last one), and
keeps the mids of the last ``hold_s`` plus the longest horizon, and as far back as a
pending horizon needs. Without it the book costs nothing between due times, as before.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from typing import Final

import attrs

from events import Fill
from events.base import SEC_NS
from events.outcomes import Markout

#: Markout horizons, seconds of event time.
MARKOUT_HORIZONS_S: Final[tuple[float, ...]] = (0.5, 1.0, 2.0, 5.0, 10.0)
_BPS: Final = 1e4
#: Nothing due.
NEVER: Final = 2**63 - 1
#: Before any event.
_START: Final = -(2**63)
#: History entries no longer needed are cut in batches of at least this many.
_TRIM_BATCH: Final = 64


def horizons_with(adverse_horizon_s: float) -> tuple[float, ...]:
    """The standard horizons plus the adverse-selection horizon, sorted, without repeats."""
    return tuple(sorted({*MARKOUT_HORIZONS_S, float(adverse_horizon_s)}))


class _Pending:
    """A fill whose markout is not complete: what is known so far."""

    # Slotted and plain: one is made per fill and read on every horizon it resolves.
    __slots__ = ("number", "fill", "t0", "mid", "buy", "bps", "resolved")

    def __init__(self, number: int, fill: Fill, t0: int, mid: float, horizons: int) -> None:
        self.number = number
        self.fill = fill
        #: When the fill happened (trade_ts of a held fill, else the Fill's ts).
        self.t0 = t0
        self.mid = mid
        self.buy = fill.side == "buy"
        self.bps = [math.nan] * horizons
        #: Horizons resolved.
        self.resolved = 0

    def bps_at(self, at: float) -> float:
        """The markout if the mid ``at`` is in force at a horizon's end."""
        mid0 = self.mid
        if mid0 > 0.0 and math.isfinite(mid0) and math.isfinite(at):
            move = (at - mid0) / mid0 * _BPS
            # 0.0 - move, so that a flat mid after a sell is +0.0, not -0.0.
            return move if self.buy else 0.0 - move
        return math.nan


@attrs.define
class MarkoutBook:
    """Fills waiting for their horizons; complete markouts come out in fill order.

    Every unresolved horizon is one entry ``(due, fill number, horizon index)`` of a
    heap, so late fills (whose horizons come before those of earlier fills) are resolved
    at their own time; a fill's markout comes out once it and every earlier fill are
    complete. The heap costs a push and a pop per horizon, a few per fill: next to the
    books between fills, nothing.
    """

    horizons_s: tuple[float, ...] = MARKOUT_HORIZONS_S
    #: How long after its trade a fill may arrive (``fill.adverse_horizon_s`` when adverse
    #: fills are on); 0: fills arrive when they happen, and no history is kept.
    hold_s: float = 0.0
    pending: deque[_Pending] = attrs.field(factory=deque)
    #: The caller advances the book on the first event later than this (NEVER: nothing
    #: due). With a history it is the last event time reported, so every new time is.
    next_due: int = NEVER
    fills: int = 0
    completed: int = 0
    _offsets_ns: tuple[int, ...] = attrs.field(init=False)
    _heap: list[tuple[int, int, int]] = attrs.field(init=False, factory=list)
    _history: bool = attrs.field(init=False)
    #: Kept mids: ``_hist_mid[i]`` was in force from ``_hist_ts[i]`` until the next
    #: entry's time, the last one until ``_hist_end`` (the last event time reported).
    _hist_ts: list[int] = attrs.field(init=False, factory=list)
    _hist_mid: list[float] = attrs.field(init=False, factory=list)
    _hist_end: int = attrs.field(init=False, default=_START)
    _keep_ns: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not self.horizons_s or list(self.horizons_s) != sorted(self.horizons_s) or self.horizons_s[0] < 0:
            raise ValueError(f"horizons must be sorted and non-negative, got {self.horizons_s!r}")
        if not (self.hold_s >= 0.0 and math.isfinite(self.hold_s)):
            raise ValueError(f"hold_s must be finite and non-negative, got {self.hold_s!r}")
        self._offsets_ns = tuple(round(h * SEC_NS) for h in self.horizons_s)
        self._history = self.hold_s > 0.0
        self._keep_ns = round(self.hold_s * SEC_NS) + self._offsets_ns[-1]
        if self._history:
            self.next_due = _START

    def add(self, fill: Fill, mid: float) -> int:
        """Start the markout of ``fill``; ``mid`` is the mid in force when it happened
        (NaN if none is known: every horizon is then NaN). Returns the fill's number
        (from 1). Horizons already past are resolved at the next ``advance``."""
        self.fills += 1
        number = self.fills
        t0 = fill.trade_ts or fill.ts
        offsets = self._offsets_ns
        self.pending.append(_Pending(number, fill, t0, mid, len(offsets)))
        heap = self._heap
        for j, off in enumerate(offsets):
            heapq.heappush(heap, (t0 + off, number, j))
        if t0 + offsets[0] < self.next_due and not self._history:
            self.next_due = t0 + offsets[0]
        return number

    def advance(self, ts: int, mid: float) -> list[Markout]:
        """Resolve every horizon that ended before ``ts``; ``mid`` is the mid in force
        until now (since the last call). Return the markouts this completed, in fill order."""
        pending = self.pending
        history = self._history
        if history:
            self._remember(ts, mid)
        heap = self._heap
        ended = heap and heap[0][0] < ts
        if ended:
            base = pending[0].number  # pending[k] is fill number base + k
            while heap and heap[0][0] < ts:
                due, number, j = heapq.heappop(heap)
                p = pending[number - base]
                p.bps[j] = p.bps_at(self._mid_at(due) if history else mid)
                p.resolved += 1
        self.next_due = ts if history else heap[0][0] if heap else NEVER
        if not ended:
            # The usual case with a history (advanced on every event): nothing completes.
            return []
        every = len(self._offsets_ns)
        done: list[Markout] = []
        while pending and pending[0].resolved == every:
            done.append(self._markout(ts, pending.popleft()))
        self.completed += len(done)
        return done

    # -- history (hold_s > 0) ----------------------------------------------------------

    def _remember(self, ts: int, mid: float) -> None:
        """``mid`` was in force from the last reported time until ``ts``."""
        start = self._hist_end
        mids = self._hist_mid
        if not mids or mids[-1] != mid:  # (NaN never equals: an unknown mid is kept too)
            self._hist_ts.append(start)
            mids.append(mid)
        self._hist_end = ts
        # A fill yet to arrive happened at or after (start - hold): start is at most its
        # horizon's end, or it would have been decided at an earlier event. Pending
        # horizons need their own times.
        cutoff = start - self._keep_ns
        if self._heap and self._heap[0][0] < cutoff:
            cutoff = self._heap[0][0]
        times = self._hist_ts
        k = bisect.bisect_right(times, cutoff) - 1  # the entry in force at cutoff stays
        if k >= _TRIM_BATCH:
            del times[:k]
            del mids[:k]

    def _mid_at(self, t: int) -> float:
        """The mid in force at ``t`` (``t`` before the last reported time); NaN if unknown."""
        times = self._hist_ts
        i = bisect.bisect_right(times, t) - 1
        return self._hist_mid[i] if i >= 0 else math.nan

    def _markout(self, ts: int, p: _Pending) -> Markout:
        f = p.fill
        # Positional, in Markout's field order (ts first): cheaper than keywords.
        return Markout(
            ts, p.number, f.oid, p.t0, f.side, f.level, f.px, f.sz, p.mid, self.horizons_s, tuple(p.bps)
        )
