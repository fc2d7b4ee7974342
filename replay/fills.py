"""The fills of a session as a table: depth from mid, the simulator's probability, markouts.

Everything comes from the log alone, in one pass:

* **depth** is how far the order rested from the mid the fill simulator saw at the fill
  (``Fill.mid``), in bps, positive on the passive side: ``(mid - px) / mid`` for a buy,
  ``(px - mid) / mid`` for a sell. It is the edge the fill captured against that mid.
* **markout at h** is how the mid moved ``h`` seconds after the fill, in bps of the mid
  just before the fill, signed so that positive is good for us (the mid rose after a
  buy, fell after a sell). Depth plus markout is the fill's PnL per unit at ``h``.
  The mid is the touch's: every BookSnapshot and Bbo in the log (a log without books
  falls back to its Mids). A horizon past the end of the log is ``None``.
  A fill with ``trade_ts`` (adverse fills on: a held fill is logged after its trade) is
  marked out from its trade: ``h`` seconds after ``trade_ts``, against ``Fill.mid``, the
  touch mid when its trade printed; the same as the logged Markout events
  (actors.markouts).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

import attrs

from events import Event, Fill
from events.base import SEC_NS
from replay.session import RecordedSession
from replay.time_specs import format_offset

#: Markout horizons, seconds.
HORIZONS_S: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
_BPS = 1e4


@attrs.frozen
class FillRow:
    """One fill, as ``papermm fills`` shows it."""

    seq: int
    ts: int
    oid: int
    side: str
    level: int
    px: float
    sz: float
    remaining: float
    mid: float
    depth_bps: float
    tid: int
    trade_px: float
    trade_sz: float
    trade_side: str
    probability: float
    draw: float
    #: Mid move after the fill at each of ``horizons_s``, bps, positive = good for us.
    markouts_bps: tuple[float | None, ...]
    horizons_s: tuple[float, ...] = HORIZONS_S
    #: When the fill's trade printed, if logged (adverse fills on), else 0; markouts
    #: are measured from it.
    trade_ts: int = 0


@attrs.define
class MidSeries:
    """The touch mid over a session, in log order, for markouts."""

    seqs: list[int] = attrs.Factory(list)
    ts: list[int] = attrs.Factory(list)
    mids: list[float] = attrs.Factory(list)
    end_ts: int = 0

    def add(self, seq: int, ts: int, mid: float) -> None:
        if math.isfinite(mid) and mid > 0.0:
            self.seqs.append(seq)
            self.ts.append(ts)
            self.mids.append(mid)

    def before_seq(self, seq: int) -> float:
        """The last mid logged before record ``seq`` (NaN if none)."""
        i = bisect.bisect_left(self.seqs, seq)
        return self.mids[i - 1] if i > 0 else math.nan

    def at_time(self, ts: int) -> float | None:
        """The mid in force at event time ``ts`` (None past the end of the log or before any)."""
        if ts > self.end_ts:
            return None
        i = bisect.bisect_right(self.ts, ts)
        return self.mids[i - 1] if i > 0 else None


def event_mid(event: Event) -> float | None:
    """The touch mid a market event carries, or None (not a book, or a side is empty)."""
    name = type(event).__name__
    if name == "BookSnapshot":
        bids, asks = event.bid_px, event.ask_px  # type: ignore[attr-defined]
        return 0.5 * (bids[0] + asks[0]) if bids and asks else None
    if name == "Bbo":
        bid, ask = event.bid_px, event.ask_px  # type: ignore[attr-defined]
        return 0.5 * (bid + ask) if bid > 0.0 and ask > 0.0 else None
    return None


def depth_bps(side: str, px: float, mid: float) -> float:
    """Distance from mid on the passive side, bps (negative if the order was through mid)."""
    if not (math.isfinite(mid) and mid > 0.0):
        return math.nan
    return ((mid - px) if side == "buy" else (px - mid)) / mid * _BPS


def markouts(
    series: MidSeries,
    seq: int,
    ts: int,
    side: str,
    horizons_s: Sequence[float] = HORIZONS_S,
    mid0: float | None = None,
) -> tuple[float | None, ...]:
    """Mid move after the fill at record ``seq``/time ``ts``, bps, signed good-for-us positive.

    ``mid0`` is the reference mid; None takes the last mid logged before record ``seq``."""
    if mid0 is None:
        mid0 = series.before_seq(seq)
    if not (math.isfinite(mid0) and mid0 > 0.0):
        return tuple(None for _ in horizons_s)
    sign = 1.0 if side == "buy" else -1.0
    out: list[float | None] = []
    for h in horizons_s:
        mid = series.at_time(ts + round(h * SEC_NS))
        out.append(None if mid is None else sign * (mid - mid0) / mid0 * _BPS)
    return tuple(out)


def collect(records: Iterable[tuple[int, Event]]) -> tuple[list[tuple[int, Fill]], MidSeries]:
    """The fills and the touch-mid series of a log, in one pass."""
    fills: list[tuple[int, Fill]] = []
    series = MidSeries()
    fallback = MidSeries()
    for seq, event in records:
        if type(event) is Fill:
            fills.append((seq, event))
            continue
        mid = event_mid(event)
        if mid is not None:
            series.add(seq, event.ts, mid)
        elif type(event).__name__ == "Mids":
            fallback.add(seq, event.ts, event.mid)  # type: ignore[attr-defined]
        series.end_ts = max(series.end_ts, event.ts)
    if not series.seqs:
        fallback.end_ts = series.end_ts
        series = fallback
    return fills, series


def row_of(seq: int, fill: Fill, series: MidSeries) -> FillRow:
    mid = fill.mid if math.isfinite(fill.mid) else series.before_seq(seq)
    trade_ts = fill.trade_ts
    if trade_ts:
        # From the trade, against the mid then (a held fill is logged later).
        marks = markouts(series, seq, trade_ts, fill.side, mid0=fill.mid)
    else:
        marks = markouts(series, seq, fill.ts, fill.side)
    return FillRow(
        seq=seq,
        ts=fill.ts,
        oid=fill.oid,
        side=fill.side,
        level=fill.level,
        px=fill.px,
        sz=fill.sz,
        remaining=fill.remaining,
        mid=mid,
        depth_bps=depth_bps(fill.side, fill.px, mid),
        tid=fill.tid,
        trade_px=fill.trade_px,
        trade_sz=fill.trade_sz,
        trade_side=fill.trade_side,
        probability=fill.probability,
        draw=fill.draw,
        markouts_bps=marks,
        trade_ts=trade_ts,
    )


def fill_rows(
    session: RecordedSession, *, side: str | None = None, since_ns: int | None = None
) -> list[FillRow]:
    """Every fill of the session (optionally one side, from a time on), in log order."""
    fills, series = collect(session.records())
    rows = []
    for seq, fill in fills:
        if side is not None and fill.side != side:
            continue
        if since_ns is not None and fill.ts < since_ns:
            continue
        rows.append(row_of(seq, fill, series))
    return rows


def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def render_table(rows: Sequence[FillRow], start_ns: int) -> str:
    """A fixed-width table, one fill per line."""
    horizons = rows[0].horizons_s if rows else HORIZONS_S
    head = ["seq", "time", "oid", "side", "lvl", "px", "sz", "depth_bps", "p", "draw"]
    head += [f"mk{h:g}s" for h in horizons]
    lines = []
    for r in rows:
        cells = [
            str(r.seq),
            format_offset(r.ts, start_ns),
            str(r.oid),
            r.side,
            str(r.level),
            f"{r.px:g}",
            f"{r.sz:g}",
            _num(r.depth_bps, ".2f"),
            f"{r.probability:.4f}",
            f"{r.draw:.4f}",
            *(_num(m, "+.2f") for m in r.markouts_bps),
        ]
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h) for i, h in enumerate(head)]
    text = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    text += ["  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for cells in lines]
    return "\n".join(text)


def summary_line(rows: Sequence[FillRow]) -> str:
    """Count, sides, mean depth and mean markout at each horizon."""
    if not rows:
        return "0 fills"
    buys = sum(1 for r in rows if r.side == "buy")
    depth = [r.depth_bps for r in rows if math.isfinite(r.depth_bps)]
    parts = [f"{len(rows)} fills ({buys} buys, {len(rows) - buys} sells)"]
    if depth:
        parts.append(f"mean depth {sum(depth) / len(depth):.2f} bps")
    for i, h in enumerate(rows[0].horizons_s):
        vals = [m for r in rows if (m := r.markouts_bps[i]) is not None]
        if vals:
            parts.append(f"mk{h:g}s {sum(vals) / len(vals):+.2f}")
    return ", ".join(parts)
