"""The recent market, for fills logged after their trade (held adverse fills).

With ``fill.adverse_fill_ratio`` > 0 the fill simulator holds some fills for
``fill.adverse_horizon_s`` (the hold) after their trade and logs them only then, with
``Fill.trade_ts`` the trade's time and ``Fill.mid`` the touch mid when it printed. What
the estimators learn from a fill is measured from when it happened, held or not: its
markout against the first mid at or after ``trade_ts`` + the markout horizon, its
classifier features as they stood at the trade. When a held fill arrives that mid may be
past, and the features have moved since, partly with the very move that let the fill
through: trained on them, the classifier would learn from what it never sees before a
fill. So, only while fills can be held, this keeps the usable mids and each trade's
feature inputs of the last hold of event time.

**Why the hold is enough.** The simulator decides a held fill at the first event after
``trade_ts`` + hold, and it sees every market event the estimators see. So a fill not yet
logged when the estimators handle an event at ``t``, after one at ``s``, is decided at
``t`` or later: its ``trade_ts + hold >= s``. Entries older than ``s - hold`` can go.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from typing import Final, NamedTuple

from events import Bbo, BookSnapshot

_NEVER: Final = -(2**63)


class TradeContext(NamedTuple):
    """The classifier's inputs as a trade left them: what a fill of it, logged at once,
    would have seen."""

    book: BookSnapshot | Bbo | None
    flow_imbalance: float
    vol_ratio: float
    probs: tuple[float, ...]
    mean_notional: float


class RecentMarket:
    """Usable mids and trade contexts of the last ``hold_ns`` of event time (event times
    never go backwards)."""

    __slots__ = ("_hold_ns", "_last", "_mid_ts", "_mids", "_trades")

    def __init__(self, hold_ns: int) -> None:
        if hold_ns <= 0:
            raise ValueError("the hold must be positive")
        self._hold_ns = hold_ns
        self._last = _NEVER
        self._mid_ts: deque[int] = deque()
        self._mids: deque[float] = deque()
        self._trades: deque[tuple[int, int, TradeContext]] = deque()

    def _cutoff(self, ts: int) -> int:
        """Note an event at ``ts``; entries before the returned time are no longer needed."""
        previous = self._last
        if ts > previous:
            self._last = ts
        return previous - self._hold_ns

    def add_mid(self, ts: int, mid: float) -> None:
        cutoff = self._cutoff(ts)
        times = self._mid_ts
        times.append(ts)
        self._mids.append(mid)
        while times[0] < cutoff:
            times.popleft()
            self._mids.popleft()

    def add_trade(self, ts: int, tid: int, context: TradeContext) -> None:
        cutoff = self._cutoff(ts)
        trades = self._trades
        trades.append((ts, tid, context))
        while trades[0][0] < cutoff:
            trades.popleft()

    def first_mid(self, ts: int) -> float | None:
        """The first usable mid at or after ``ts``, None if there is none yet."""
        i = bisect_left(self._mid_ts, ts)
        return self._mids[i] if i < len(self._mids) else None

    def context(self, ts: int, tid: int) -> TradeContext | None:
        """What the trade ``tid`` at ``ts`` left, None if it is unknown or too old."""
        for t, i, context in reversed(self._trades):
            if t < ts:
                break
            if t == ts and i == tid:
                return context
        return None
