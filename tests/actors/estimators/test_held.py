"""Held fills (fill.adverse_fill_ratio): measured from their trade, not from when they are logged.

A held fill is logged ``fill.adverse_horizon_s`` (the hold) or more after its trade, with
``trade_ts`` its trade's time and ``mid`` the touch mid then. Its markout, its classifier
features and its fill-rate outcome must be what the same fill would have given had it
been logged at its trade.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.config import Config, EstimatorsSection, FeesSection, FillSection, QuoteSection
from actors.estimators import EstimatorsActor
from actors.estimators.held import RecentMarket, TradeContext
from events import BookSnapshot, Event, Fill, PlaceOrder, Trade
from tests.conftest import MS, SEC, T0, make_book, make_trade

QUOTE = QuoteSection(min_requote_interval_ms=1000.0, observe_s=0.0)
FEES = FeesSection()


def actor(hold_s: float = 0.0, **overrides: object) -> EstimatorsActor:
    return EstimatorsActor(EstimatorsSection(**overrides), QUOTE, FEES, hold_s=hold_s)  # type: ignore[arg-type]


def fill_of(trade: Trade, oid: int, mid: float, ts: int | None = None) -> Fill:
    """Our fill by ``trade`` (our buy if the taker sold), logged at ``ts`` (held) or at once."""
    held = ts is not None and ts != trade.ts
    side = "buy" if trade.side == "A" else "sell"
    return Fill(
        ts=trade.ts if ts is None else ts, oid=oid, side=side, px=trade.px, sz=0.5, remaining=0.0, level=0,
        mid=mid, tid=trade.tid, trade_px=trade.px, trade_sz=trade.sz, trade_side=trade.side,
        touch_probability=0.3, price_factor=1.0, size_factor=1.0, queue_factor=0.4, age_factor=1.0,
        aggressor_factor=1.0, queue_ahead=0.0, probability=0.2, draw=0.1, adverse_draw=0.01 if held else 0.5,
        trade_ts=trade.ts,
    )  # fmt: skip


def mid_of(book: BookSnapshot) -> float:
    return 0.5 * (book.bid_px[0] + book.ask_px[0])


# -- the recent market --------------------------------------------------------------------


def context(n: int) -> TradeContext:
    return TradeContext(None, float(n), 1.0, (0.25,) * 4, 1.0)


@given(
    st.integers(1, 5 * SEC),
    st.lists(
        st.tuples(st.integers(0, 2 * SEC), st.booleans(), st.floats(90.0, 110.0)), min_size=1, max_size=60
    ),
    st.integers(0, 8 * SEC),
)
def test_the_recent_market_keeps_what_a_fill_yet_to_come_can_need(
    hold_ns: int, events: list[tuple[int, bool, float]], back: int
) -> None:
    # Whatever comes after an event at t, following one at s, traded at or after s - hold.
    recent = RecentMarket(hold_ns)
    mids: list[tuple[int, float]] = []
    trades: list[tuple[int, int]] = []
    ts = T0
    previous = T0
    for i, (gap, is_mid, mid) in enumerate(events):
        previous, ts = ts, ts + gap
        if is_mid:
            recent.add_mid(ts, mid)
            mids.append((ts, mid))
        else:
            recent.add_trade(ts, i, context(i))
            trades.append((ts, i))
    since = previous - hold_ns + back
    expected = next((m for t, m in mids if t >= since), None)
    assert recent.first_mid(since) == expected
    for t, tid in trades:
        if t >= previous - hold_ns:
            assert recent.context(t, tid) == context(tid)
    assert recent.context(ts, -1) is None


# -- the actor ------------------------------------------------------------------------------


def test_a_held_fills_adverse_outcome_is_measured_from_its_trade_time_and_mid() -> None:
    # Our bid filled at 99.99 by a sell at T + 0.1 s, mid 100.00; the mid is 99.90 when the
    # 5 s horizon ends (10 bps against us) and 100.20 when the fill is logged.
    est = actor(hold_s=5.0, markout_horizon_s=5.0)
    events: list[Event] = [make_book(T0 + i * 500 * MS) for i in range(11)]  # mid 100.00 until T + 5 s
    trade = make_trade(T0 + 100 * MS, px=99.99, sz=1.0, side="A", tid=7)
    events.insert(1, trade)
    events.append(make_book(T0 + 5100 * MS, bid=99.89, ask=99.91))  # the horizon ends: 99.90
    events.append(make_book(T0 + 5200 * MS, bid=100.19, ask=100.21))  # the hold ends: logged now
    for e in events:
        est.handle(e)
    assert est.adverse.observations == 0
    est.handle(fill_of(trade, 1, mid=100.0, ts=T0 + 5200 * MS))
    # At once, from the mid of then: not 5 s after it was logged, nor against the mid now.
    assert est.adverse.observations == 1 and est.kelly.observations == 1
    assert est.adverse.value == pytest.approx(10.0) and est.adverse.adverse_rate == 1.0
    assert len(est.markouts) == 0


def test_a_held_fill_still_ahead_of_its_horizon_waits_for_it_before_earlier_logged_fills() -> None:
    est = actor(hold_s=1.0, markout_horizon_s=5.0)
    est.handle(make_book(T0))
    held = make_trade(T0 + 100 * MS, px=99.99, side="A", tid=1)
    est.handle(held)
    later = make_trade(T0 + 1000 * MS, px=100.01, side="B", tid=2)
    est.handle(later)
    est.handle(fill_of(later, 2, mid=100.0))  # logged at once, due at T + 6 s
    est.handle(make_book(T0 + 1200 * MS))
    est.handle(fill_of(held, 1, mid=100.0, ts=T0 + 1200 * MS))  # due at T + 5.1 s: first
    est.handle(make_book(T0 + 5100 * MS, bid=99.97, ask=99.99))  # 2 bps against the buy
    assert est.adverse.observations == 1 and est.adverse.adverse_rate == 1.0
    est.handle(make_book(T0 + 6000 * MS, bid=99.97, ask=99.99))  # good for the sell
    assert est.adverse.observations == 2 and est.adverse.adverse_rate == 0.5


def test_a_held_fill_counts_as_filled_within_the_horizon_from_its_trade() -> None:
    est = actor(hold_s=5.0, fill_horizon_s=5.0)
    est.handle(make_book(T0))
    est.handle(PlaceOrder(ts=T0, oid=1, side="buy", px=99.99, sz=0.5, level=0, cycle=1))
    trade = make_trade(T0 + 4900 * MS, px=99.99, side="A", tid=3)  # within the level's 5 s
    est.handle(trade)
    est.handle(make_book(T0 + 9950 * MS))
    est.handle(fill_of(trade, 1, mid=100.0, ts=T0 + 9950 * MS))  # logged after them
    assert est.fill_rate.observations == 1 and sum(est.fill_rate.snapshot().fills) == 1


def test_without_a_hold_a_late_fill_is_marked_against_the_mid_in_force() -> None:
    # The graph gives the hold when adverse fills are on; without it there is no history.
    est = actor(markout_horizon_s=1.0)
    est.handle(make_book(T0))
    trade = make_trade(T0 + 100 * MS, px=99.99, side="A", tid=1)
    est.handle(trade)
    est.handle(make_book(T0 + 1100 * MS, bid=99.89, ask=99.91))
    est.handle(make_book(T0 + 1200 * MS, bid=99.97, ask=99.99))
    est.handle(fill_of(trade, 1, mid=100.0, ts=T0 + 1200 * MS))
    assert est.adverse.observations == 1 and est.adverse.value == pytest.approx(2.0)


def test_the_hold_comes_from_the_fill_simulators_adverse_fills() -> None:
    assert EstimatorsActor.from_config(Config())._recent is None
    on = Config(fill=FillSection(adverse_fill_ratio=0.2, adverse_horizon_s=3.0))
    recent = EstimatorsActor.from_config(on)._recent
    assert recent is not None and recent._hold_ns == 3 * SEC


market_path = st.lists(
    st.tuples(st.integers(1, 600), st.sampled_from(["book", "trade"]), st.integers(-3, 3), st.floats(0.01, 5.0),
              st.booleans()),
    min_size=4, max_size=80,
)  # fmt: skip


@given(
    market_path,
    st.integers(0, 200),
    st.sampled_from([0.5, 1.0, 2.0, 5.0]),
    st.sampled_from([0.5, 2.0, 5.0, 8.0]),
    st.sampled_from([1.0, 3.0, 30.0]),
)
def test_a_held_fill_teaches_what_it_would_have_taught_logged_at_its_trade(
    path: list[tuple[int, str, int, float, bool]],
    pick: int,
    hold_s: float,
    horizon_s: float,
    fill_horizon_s: float,
) -> None:
    """Same markout (move, PnL and features), same kappa and fill-rate outcome: only later."""
    events: list[Event] = [make_book(T0)]
    ts = T0
    mid = 100.0
    trades: list[tuple[int, Trade, float]] = []
    for i, (gap_ms, kind, move, size, sell) in enumerate(path):
        ts += gap_ms * MS
        if kind == "book":
            mid = round(mid + 0.01 * move, 2)
            events.append(make_book(ts, bid=round(mid - 0.01, 2), ask=round(mid + 0.01, 2), size=size))
        else:
            px = round(mid - 0.01 if sell else mid + 0.01, 2)
            trades.append(
                (len(events), make_trade(ts, px=px, sz=size, side="A" if sell else "B", tid=i), mid)
            )
            events.append(trades[-1][1])
    if not trades:
        return
    at, trade, trade_mid = trades[pick % len(trades)]
    end = trade.ts + round((max(hold_s, horizon_s, fill_horizon_s) + 1.0) * SEC)
    while ts < end:  # the market goes on past every horizon
        ts += 400 * MS
        mid = round(mid - 0.01, 2)
        events.append(make_book(ts, bid=round(mid - 0.01, 2), ask=round(mid + 0.01, 2)))
    place = PlaceOrder(ts=T0, oid=1, side="buy" if trade.side == "A" else "sell", px=trade.px, sz=0.5, level=0,
                       cycle=1)  # fmt: skip
    events.insert(1, place)
    at += 1

    at_once = actor(markout_horizon_s=horizon_s, fill_horizon_s=fill_horizon_s)
    held = actor(hold_s, markout_horizon_s=horizon_s, fill_horizon_s=fill_horizon_s)
    hold_ns = round(hold_s * SEC)
    logged = False
    for i, e in enumerate(events):
        at_once.handle(e)
        if i == at:
            at_once.handle(fill_of(trade, 1, trade_mid))
        held.handle(e)
        if not logged and e.ts > trade.ts + hold_ns:  # decided at the first event after the hold
            held.handle(fill_of(trade, 1, trade_mid, ts=e.ts))
            logged = True
    assert logged
    assert at_once.adverse.observations == 1
    assert held.adverse.snapshot() == at_once.adverse.snapshot()
    assert held.kelly.snapshot() == at_once.kelly.snapshot()
    assert held.kappa_own.snapshot() == at_once.kappa_own.snapshot()
    assert held.fill_rate.snapshot() == at_once.fill_rate.snapshot()
