"""Event streams that drive the estimators into arbitrary learned states (for hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from actors.config import Config
from actors.graph import build_actors
from events import Event, Fill, OrderCanceled, PlaceOrder
from tests.conftest import MS, SEC, T0, make_book, make_trade

#: One step of a stream: (ms to the next book, mid move in bps, trades, place, fill, cancel).
Step = tuple[int, float, int, bool, bool, bool]

_step = st.tuples(
    st.integers(200, 3000),
    st.floats(-5.0, 5.0, allow_nan=False),
    st.integers(0, 4),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
#: Short streams (components left unobserved) and long ones (the regime HMM steps after
#: about 30 s of quote cycles; markouts resolve 5 s after a fill).
steps = st.one_of(st.lists(_step, max_size=15), st.lists(_step, min_size=40, max_size=120))


def make_fill(ts: int, oid: int, side: str, px: float, sz: float, mid: float, tid: int) -> Fill:
    """A fill of our order (the explanation fields do not matter to the estimators)."""
    return Fill(
        ts=ts, oid=oid, side=side, px=px, sz=sz, remaining=0.0, level=0, mid=mid, tid=tid,  # type: ignore[arg-type]
        trade_px=px, trade_sz=sz * 2, trade_side="A" if side == "buy" else "B", touch_probability=0.3,
        price_factor=1.0, size_factor=1.0, queue_factor=1.0, age_factor=1.0, aggressor_factor=1.0,
        queue_ahead=0.0, probability=0.3, draw=0.1,
    )  # fmt: skip


def stream(plan: list[Step], *, start: int = T0, mid0: float = 100.0) -> Iterator[Event]:
    """Books, trades and our own orders and fills, following ``plan``."""
    ts = start
    mid = mid0
    oid = 0
    tid = 0
    live: list[tuple[int, str, float]] = []
    for dt_ms, move_bps, trades, place, fill, cancel in plan:
        ts += dt_ms * MS
        mid *= 1.0 + move_bps * 1e-4
        half = mid * 1e-4
        yield make_book(ts, bid=mid - half, ask=mid + half, step=mid * 1e-4)
        for k in range(trades):
            tid += 1
            side = "A" if (k + tid) % 2 else "B"
            px = mid - half * (1 + k) if side == "A" else mid + half * (1 + k)
            yield make_trade(ts + (k + 1) * MS, px=px, sz=0.01 * (1 + k), side=side, tid=tid)
        if place:
            oid += 1
            side = "buy" if oid % 2 else "sell"
            px = mid - 2 * half if side == "buy" else mid + 2 * half
            yield PlaceOrder(ts=ts + 10 * MS, oid=oid, side=side, px=px, sz=0.001, level=0, cycle=oid)  # type: ignore[arg-type]
            live.append((oid, side, px))
        if fill and live:
            o, side, px = live.pop(0)
            tid += 1
            yield make_fill(ts + 20 * MS, o, side, px, 0.001, mid, tid)
        elif cancel and live:
            o, _, _ = live.pop()
            yield OrderCanceled(ts=ts + 30 * MS, oid=o, reason="canceled", remaining=0.001)


def end_of(plan: list[Step], start: int = T0) -> int:
    """Event time just after the stream of ``plan``."""
    return start + sum(s[0] for s in plan) * MS + SEC


def graph(config: Config | None = None) -> dict[str, Any]:
    """A fresh graph's actors by name."""
    return {a.name: a for a in build_actors(config or Config())}
