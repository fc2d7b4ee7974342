"""Markouts of our fills: how the mid moved 0.5, 1, 2, 5 and 10 s of event time later.

A fill's markout at horizon ``h`` is the touch mid in force at ``fill_ts + h`` (the last
one logged at or before that time) against the mid in force at the fill, in bps of the
latter, signed so that positive is good for us: the mid rose after a buy, fell after a
sell. It is the same definition as ``papermm fills`` (replay.fills) computes from a log.

The mid at ``t`` is final only once an event later than ``t`` has been seen, so the book
resolves a horizon when the caller reports an event with ``ts > fill_ts + h``, *before*
moving its mid to that event's. Pure bookkeeping, no actor: the prediction tracker
(actors.predictions) feeds it and emits the Markout events.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

import attrs

from events import Fill
from events.outcomes import Markout

#: Markout horizons, seconds of event time.
MARKOUT_HORIZONS_S: Final[tuple[float, ...]] = (0.5, 1.0, 2.0, 5.0, 10.0)
NS_PER_S: Final = 1_000_000_000
_BPS: Final = 1e4
#: Nothing due.
NEVER: Final = 2**63 - 1


def horizons_with(adverse_horizon_s: float) -> tuple[float, ...]:
    """The standard horizons plus the adverse-selection horizon, sorted, without repeats."""
    return tuple(sorted({*MARKOUT_HORIZONS_S, float(adverse_horizon_s)}))


@attrs.define(eq=False)
class _Pending:
    """A fill whose markout is not complete: what is known so far."""

    number: int
    fill: Fill
    mid: float
    due: tuple[int, ...]
    bps: list[float]


@attrs.define
class MarkoutBook:
    """Fills waiting for their horizons; complete markouts come out in fill order.

    Horizons are one constant tuple, so for each horizon the due times are in fill
    order: one cursor per horizon (the number of the next fill to resolve at it) finds
    everything due without visiting the rest, and a fill is complete when the last
    horizon's cursor has passed it, which happens in fill order.
    """

    horizons_s: tuple[float, ...] = MARKOUT_HORIZONS_S
    pending: deque[_Pending] = attrs.field(factory=deque)
    #: Earliest horizon still to resolve (NEVER when nothing is pending): the hot path
    #: is one comparison against it.
    next_due: int = NEVER
    fills: int = 0
    completed: int = 0
    _offsets_ns: tuple[int, ...] = attrs.field(init=False)
    #: Per horizon, the number of the first fill not yet resolved at it.
    _cursor: list[int] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if not self.horizons_s or list(self.horizons_s) != sorted(self.horizons_s) or self.horizons_s[0] < 0:
            raise ValueError(f"horizons must be sorted and non-negative, got {self.horizons_s!r}")
        self._offsets_ns = tuple(round(h * NS_PER_S) for h in self.horizons_s)
        self._cursor = [1] * len(self.horizons_s)

    def add(self, fill: Fill, mid: float) -> int:
        """Start the markout of ``fill``; ``mid`` is the mid in force at the fill (NaN if
        none is known: every horizon is then NaN). Returns the fill's number (from 1)."""
        self.fills += 1
        due = tuple(fill.ts + off for off in self._offsets_ns)
        self.pending.append(_Pending(self.fills, fill, mid, due, [math.nan] * len(due)))
        if due[0] < self.next_due:
            self.next_due = due[0]
        return self.fills

    def advance(self, ts: int, mid: float) -> list[Markout]:
        """Resolve every horizon that ended before ``ts`` at ``mid``, the mid in force
        until now; return the markouts this completed, in fill order."""
        pending = self.pending
        if not pending:
            self.next_due = NEVER
            return []
        base = pending[0].number  # pending[k] is fill number base + k
        end = base + len(pending)
        cursor = self._cursor
        next_due = NEVER
        for j in range(len(cursor)):
            k = cursor[j]
            while k < end:
                p = pending[k - base]
                if p.due[j] >= ts:
                    if p.due[j] < next_due:
                        next_due = p.due[j]
                    break
                mid0 = p.mid
                if mid0 > 0.0 and math.isfinite(mid0) and math.isfinite(mid):
                    move = (mid - mid0) / mid0 * _BPS
                    # 0.0 - move, so that a flat mid after a sell is +0.0, not -0.0.
                    p.bps[j] = move if p.fill.side == "buy" else 0.0 - move
                k += 1
            cursor[j] = k
        done: list[Markout] = []
        last = cursor[-1]
        while pending and pending[0].number < last:
            done.append(self._markout(ts, pending.popleft()))
        self.next_due = next_due
        self.completed += len(done)
        return done

    def _markout(self, ts: int, p: _Pending) -> Markout:
        f = p.fill
        return Markout(
            ts=ts,
            fill=p.number,
            oid=f.oid,
            fill_ts=f.ts,
            side=f.side,
            level=f.level,
            px=f.px,
            sz=f.sz,
            mid=p.mid,
            horizons_s=self.horizons_s,
            bps=tuple(p.bps),
        )


