"""Markouts: the mid in force at each horizon after a fill, signed good-for-us positive."""

from __future__ import annotations

import bisect
import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.config import Config
from actors.markouts import MARKOUT_HORIZONS_S, NEVER, MarkoutBook, horizons_with
from actors.predictions import PredictionTracker
from events import Fill, Markout
from events.orders import OrderSide
from tests.conftest import MS, SEC, T0, make_book


def make_fill(ts: int, side: OrderSide = "buy", px: float = 99.0, oid: int = 1, mid: float = 100.0) -> Fill:
    return Fill(
        ts=ts, oid=oid, side=side, px=px, sz=1.0, remaining=0.0, level=0, mid=mid, tid=oid,
        trade_px=px, trade_sz=1.0, trade_side="A" if side == "buy" else "B",
        touch_probability=0.3, price_factor=1.0, size_factor=1.0, queue_factor=1.0,
        age_factor=1.0, aggressor_factor=1.0, queue_ahead=0.0, probability=0.3, draw=0.1,
    )  # fmt: skip


def book_at(ts: int, mid: float):
    return make_book(ts=ts, bid=mid - 0.01, ask=mid + 0.01)


def test_horizons_are_the_issue_s_and_the_adverse_horizon_joins_them() -> None:
    assert MARKOUT_HORIZONS_S == (0.5, 1.0, 2.0, 5.0, 10.0)
    assert horizons_with(5.0) == MARKOUT_HORIZONS_S
    assert horizons_with(3.0) == (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
    with pytest.raises(ValueError):
        MarkoutBook((2.0, 1.0))


def test_hand_computed_markouts_of_a_buy_and_a_sell() -> None:
    book = MarkoutBook()
    book.add(make_fill(T0, "buy"), 100.0)
    book.add(make_fill(T0, "sell", px=101.0, oid=2), 100.0)
    assert book.next_due == T0 + 500 * MS
    mid = 100.0
    out: list[Markout] = []
    # (time, new mid): the mid at exactly T0 + h is the one in force at h.
    path = [(300, 101.0), (500, 102.0), (700, 103.0), (1000, 99.0), (1500, 98.0), (2000, 100.5),
            (4999, 100.0), (5000, 101.0), (9000, 97.0), (10_000, 96.0), (10_001, 50.0)]  # fmt: skip
    for t_ms, new_mid in path:
        ts = T0 + t_ms * MS
        if ts > book.next_due:
            out += book.advance(ts, mid)
        mid = new_mid
    buy, sell = out
    assert buy.bps == pytest.approx((200.0, -100.0, 50.0, 100.0, -400.0))
    assert sell.bps == pytest.approx((-200.0, 100.0, -50.0, -100.0, 400.0))
    assert (buy.fill, sell.fill) == (1, 2)
    assert buy.ts == sell.ts == T0 + 10_001 * MS  # known only once an event is later than T0 + 10 s
    assert buy.mid == 100.0 and buy.horizons_s == MARKOUT_HORIZONS_S
    assert book.next_due == NEVER and not book.pending


def test_interleaved_horizons_of_later_fills_use_the_mid_of_their_own_time() -> None:
    book = MarkoutBook((0.5, 10.0))
    book.add(make_fill(T0), 100.0)
    out = book.advance(T0 + 1 * SEC, 100.0)  # resolves the first fill's 0.5 s horizon
    assert out == []
    book.add(make_fill(T0 + 1 * SEC, oid=2), 100.0)
    book.advance(T0 + 1600 * MS, 110.0)  # second fill's 0.5 s horizon: mid 110 in force at 1.5 s
    done = book.advance(T0 + 12 * SEC, 120.0)
    assert [m.oid for m in done] == [1, 2]
    assert done[0].bps == pytest.approx((0.0, 2000.0))
    assert done[1].bps == pytest.approx((1000.0, 2000.0))


def test_an_unknown_mid_gives_nan_markouts() -> None:
    book = MarkoutBook((1.0,))
    book.add(make_fill(T0), math.nan)
    (m,) = book.advance(T0 + 2 * SEC, 100.0)
    assert math.isnan(m.bps[0])


def test_a_flat_mid_after_a_sell_is_plus_zero() -> None:
    book = MarkoutBook((1.0,))
    book.add(make_fill(T0, "sell"), 100.0)
    (m,) = book.advance(T0 + 2 * SEC, 100.0)
    assert m.bps == (0.0,) and math.copysign(1.0, m.bps[0]) == 1.0


def test_the_tracker_emits_markouts_from_books_and_fills() -> None:
    tracker = PredictionTracker(adverse_horizon_s=5.0)
    assert tracker.handle(book_at(T0, 100.0)) == ()
    tracker.handle(make_fill(T0 + 100 * MS))
    tracker.handle(book_at(T0 + 600 * MS, 100.5))
    out = tracker.handle(book_at(T0 + 10_100 * MS + 1, 101.0))
    (m,) = [e for e in out if isinstance(e, Markout)]
    assert m.oid == 1 and m.fill_ts == T0 + 100 * MS and m.mid == pytest.approx(100.0)
    # 0.5 s after the fill (T0 + 0.6 s) the mid is 100.5: +50 bps for a buy; it stays.
    assert m.bps == pytest.approx((50.0, 50.0, 50.0, 50.0, 50.0))


def _brute_force(
    mids: list[tuple[int, float]], fill_ts: int, side: str, horizons: tuple[float, ...]
) -> list[float]:
    """The definition: the last mid logged at or before each time."""
    times = [t for t, _ in mids]
    mid0 = mids[bisect.bisect_right(times, fill_ts) - 1][1]
    sign = 1.0 if side == "buy" else -1.0
    out = []
    for h in horizons:
        mid = mids[bisect.bisect_right(times, fill_ts + round(h * SEC)) - 1][1]
        out.append(sign * (mid - mid0) / mid0 * 1e4)
    return out


@settings(max_examples=60)
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 3000), st.floats(-0.002, 0.002), st.sampled_from(["book", "buy", "sell"])),
        min_size=1,
        max_size=120,
    )
)
def test_markouts_match_the_definition_on_any_path(steps: list[tuple[int, float, str]]) -> None:
    tracker = PredictionTracker(adverse_horizon_s=5.0)
    ts, mid = T0, 100.0
    mids = [(ts, mid)]
    tracker.handle(book_at(ts, mid))
    fills: list[tuple[int, str]] = []
    out: list[Markout] = []
    for dt_ms, ret, kind in steps:
        ts += dt_ms * MS
        if kind == "book":
            mid = round(mid * (1.0 + ret), 6)
            mids.append((ts, mid))
            out += [e for e in tracker.handle(book_at(ts, mid)) if isinstance(e, Markout)]
        else:
            fills.append((ts, kind))
            tracker.handle(make_fill(ts, kind, oid=len(fills)))  # type: ignore[arg-type]
    out += [e for e in tracker.handle(book_at(ts + 11 * SEC, mid)) if isinstance(e, Markout)]
    mids.append((ts + 11 * SEC, mid))
    assert [m.fill for m in out] == list(range(1, len(fills) + 1))
    for m, (fill_ts, side) in zip(out, fills, strict=True):
        assert m.fill_ts == fill_ts
        expected = _brute_force(mids, fill_ts, side, m.horizons_s)
        assert m.bps == pytest.approx(expected, abs=1e-9)


# -- late fills: held adverse fills are marked out from their trade ------------------------------


def held_fill(ts: int, trade_ts: int, side: OrderSide = "buy", oid: int = 1, mid: float = 100.0) -> Fill:
    """A fill logged at ``ts`` whose trade printed at ``trade_ts`` with the touch mid ``mid``."""
    return msgspec.structs.replace(make_fill(ts, side, oid=oid, mid=mid), trade_ts=trade_ts, adverse_draw=0.1)


def test_a_late_fill_is_marked_out_from_its_trade_with_past_horizons_back_filled() -> None:
    book = MarkoutBook(hold_s=5.0)
    assert book.next_due < T0  # with a history it is advanced on every new event time
    # (time ms, new mid): reported to the book as the tracker does, before each change.
    path = [(0, 100.0), (300, 101.0), (700, 99.0), (1500, 98.0), (2500, 97.0), (5000, 96.0), (5200, 95.0)]
    mid = math.nan
    for t_ms, new_mid in path:
        assert book.advance(T0 + t_ms * MS, mid) == []
        mid = new_mid
    assert book.next_due == T0 + 5200 * MS
    # Logged at 5.2 s, its trade printed at 0.1 s when the mid was 100.
    assert book.add(held_fill(T0 + 5200 * MS, T0 + 100 * MS), 100.0) == 1
    # The next event resolves every horizon up to 5.1 s from the history...
    assert book.advance(T0 + 5300 * MS, mid) == []
    assert book.pending[0].bps[:4] == pytest.approx([100.0, -100.0, -200.0, -400.0])
    # ...and the 10 s horizon (10.1 s) resolves once an event is later than that.
    assert book.advance(T0 + 10_100 * MS, 95.0) == []
    (m,) = book.advance(T0 + 10_100 * MS + 1, 95.0)
    assert m.fill_ts == T0 + 100 * MS and m.mid == 100.0
    assert m.bps == pytest.approx((100.0, -100.0, -200.0, -400.0, -500.0))


def test_markouts_come_out_in_fill_order_when_a_late_fill_completes_first() -> None:
    book = MarkoutBook((0.5, 10.0), hold_s=5.0)
    book.advance(T0, math.nan)
    book.add(make_fill(T0 + 4 * SEC, oid=1), 100.0)  # immediate, complete after 14 s
    book.advance(T0 + 5 * SEC + 1, 100.0)
    book.add(held_fill(T0 + 5 * SEC + 1, T0, oid=2), 100.0)  # its trade at 0 s: done after 10 s
    assert book.advance(T0 + 12 * SEC, 101.0) == []  # the late fill is complete, but second
    done = book.advance(T0 + 15 * SEC, 102.0)
    assert [m.oid for m in done] == [1, 2] and [m.fill for m in done] == [1, 2]
    assert done[0].bps == pytest.approx((0.0, 200.0)) and done[0].fill_ts == T0 + 4 * SEC
    assert done[1].bps == pytest.approx((0.0, 100.0)) and done[1].fill_ts == T0
    assert not book.pending and book.completed == 2


def test_the_history_stays_bounded() -> None:
    book = MarkoutBook(hold_s=5.0)
    for i in range(20_000):  # 100 ms apart, a new mid each time: 2000 s
        book.advance(T0 + i * 100 * MS, 100.0 + (i % 7))
    # hold + longest horizon = 15 s = 150 entries, plus one batch not yet cut.
    assert len(book._hist_ts) == len(book._hist_mid) <= 150 + 64 + 2
    # Without a hold no history is kept, and nothing is due until a fill is.
    plain = MarkoutBook()
    assert plain.advance(T0, 100.0) == [] and plain.next_due == NEVER and plain._hist_ts == []


def test_the_tracker_keeps_a_history_only_when_adverse_fills_are_on() -> None:
    plain = Config()
    assert PredictionTracker.from_config(plain)._markouts.hold_s == 0.0
    on = msgspec.structs.replace(
        plain, fill=msgspec.structs.replace(plain.fill, adverse_fill_ratio=0.5, adverse_horizon_s=3.0)
    )
    assert PredictionTracker.from_config(on)._markouts.hold_s == 3.0


@settings(max_examples=60)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(1, 3000),
            st.floats(-0.002, 0.002),
            st.sampled_from(["book", "buy", "sell", "held buy", "held sell"]),
            st.integers(0, 5000),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_markouts_of_late_fills_match_the_definition_on_any_path(
    steps: list[tuple[int, float, str, int]],
) -> None:
    tracker = PredictionTracker(adverse_horizon_s=5.0, hold_s=5.0)
    ts, mid = T0, 100.0
    mids = [(ts, mid)]
    tracker.handle(book_at(ts, mid))
    fills: list[tuple[int, str, float]] = []  # (reference time, side, reference mid)
    out: list[Markout] = []
    for dt_ms, ret, kind, delay_ms in steps:
        ts += dt_ms * MS
        if kind == "book":
            mid = round(mid * (1.0 + ret), 6)
            mids.append((ts, mid))
            out += [e for e in tracker.handle(book_at(ts, mid)) if isinstance(e, Markout)]
            continue
        side = kind.split()[-1]
        if kind.startswith("held"):
            # Logged up to 5 s after its trade, with the touch mid when the trade printed.
            trade_ts = max(ts - delay_ms * MS, T0)
            mid0 = _mid_at(mids, trade_ts)
            fill = held_fill(ts, trade_ts, side, oid=len(fills) + 1, mid=mid0)  # type: ignore[arg-type]
            fills.append((trade_ts, side, mid0))
        else:
            fill = make_fill(ts, side, oid=len(fills) + 1)  # type: ignore[arg-type]
            fills.append((ts, side, _mid_at(mids, ts)))
        tracker.handle(fill)
    out += [e for e in tracker.handle(book_at(ts + 11 * SEC, mid)) if isinstance(e, Markout)]
    assert [m.fill for m in out] == list(range(1, len(fills) + 1))
    for m, (t0, side, mid0) in zip(out, fills, strict=True):
        assert m.fill_ts == t0 and m.mid == pytest.approx(mid0, rel=1e-12)
        sign = 1.0 if side == "buy" else -1.0
        expected = [sign * (_mid_at(mids, t0 + round(h * SEC)) - mid0) / mid0 * 1e4 for h in m.horizons_s]
        assert m.bps == pytest.approx(expected, abs=1e-9)


def _mid_at(mids: list[tuple[int, float]], t: int) -> float:
    """The definition: the last mid logged at or before ``t``."""
    return mids[bisect.bisect_right([u for u, _ in mids], t) - 1][1]


# -- fills in time order, against the definition --------------------------------------------------


_HORIZONS = st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]), min_size=1, max_size=7).map(
    lambda hs: tuple(sorted(hs))  # repeats allowed
)
#: A new mid: unknown (NaN) and unusable (zero) ones too.
_MIDS = st.one_of(st.floats(90.0, 110.0), st.just(math.nan), st.just(0.0))


def _definition(side: str, mid0: float, at: float) -> float:
    """A markout in bps, signed good-for-us positive; NaN without usable mids."""
    if not (mid0 > 0.0 and math.isfinite(mid0) and math.isfinite(at)):
        return math.nan
    move = (at - mid0) / mid0 * 1e4
    return move if side == "buy" else 0.0 - move


@settings(max_examples=200)
@given(
    horizons=_HORIZONS,
    steps=st.lists(
        st.tuples(
            st.integers(0, 3000),  # time since the previous step, in ticks: equal times too
            st.sampled_from(["book", "book", "book", "buy", "sell"]),
            _MIDS,
            st.booleans(),  # advance the book even if nothing is due
        ),
        max_size=150,
    ),
    # A tenth of a ms: many fills pending at once; 250 ms (and steps of 0 to 2 s):
    # horizons ending exactly on an event.
    tick=st.sampled_from([MS, MS // 10, 250 * MS]),
)
def test_fills_in_time_order_get_the_markouts_of_the_definition_byte_for_byte(
    horizons: tuple[float, ...], steps: list[tuple[int, str, float, bool]], tick: int
) -> None:
    """With no hold, every horizon of every fill is the mid in force at its end (the
    last one logged at or before it), whatever the spacing of fills and books."""
    book = MarkoutBook(horizons)
    ts, mid = T0, math.nan
    mids: list[tuple[int, float]] = [(T0, math.nan)]
    out: list[Markout] = []
    fills: list[tuple[Fill, float]] = []
    for dt, kind, new_mid, always in steps:
        ts += (dt % 9 if tick == 250 * MS else dt) * tick
        if kind == "book":
            if always or ts > book.next_due:
                out += book.advance(ts, mid)
            mid = new_mid
            mids.append((ts, mid))
            continue
        fill = make_fill(ts, kind, oid=book.fills + 1)  # type: ignore[arg-type]
        assert book.add(fill, mid) == len(fills) + 1
        fills.append((fill, mid))
    out += book.advance(ts + 11 * SEC, mid)
    assert book.fills == book.completed == len(out) == len(fills) and book._heap == []
    offsets = [round(h * SEC) for h in horizons]
    expected = [
        tuple(_definition(fill.side, mid0, _mid_at(mids, fill.ts + off)) for off in offsets)
        for fill, mid0 in fills
    ]
    assert [m.oid for m in out] == [f.oid for f, _ in fills]
    assert msgspec.msgpack.encode([m.bps for m in out]) == msgspec.msgpack.encode(expected)


def test_a_normal_session_keeps_no_mid_history_and_a_held_one_does() -> None:
    plain, held = MarkoutBook(), MarkoutBook(hold_s=5.0)
    plain.add(make_fill(T0), 100.0)
    assert plain.next_due == T0 + 500 * MS and held.next_due < T0
    (m,) = plain.advance(T0 + 11 * SEC, 101.0)
    assert m.bps == pytest.approx((100.0,) * 5)
