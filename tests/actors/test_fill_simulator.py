"""The fill simulator: one test per rule of the fill model, then its invariants as properties."""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence

import attrs
import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.base import NOTHING
from actors.config import FillSection
from actors.fill_model import FillModel
from actors.fill_orders import RestingOrder, new_order
from actors.fill_simulator import FillSimulator
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Event,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    Trade,
)
from events.orders import OrderSide
from tests.conftest import MS, SEC, T0, make_book, make_trade

FLAT = FillSection()
DEPTH = FillSection(ignore_book_depth=False)
#: Every factor 1 or more and no cap below 1: any touched, resting order fills (flat mode).
CERTAIN = FillSection(
    touch_probability=1.0,
    queue_position_factor=1.0,
    max_probability=1.0,
    young_order_factor=1.0,
    min_size_factor=1.0,
)
REST = T0 + 100 * MS  # rests_at of an order placed at T0 with the default latency
MID_AGE = REST + 5 * SEC  # inside the 1-10 s band: age factor 1.0


def _seed_with_small_first_draw(below: float = 0.005) -> int:
    """A seed whose first draw is below every probability these tests construct."""
    return next(s for s in range(10_000) if np.random.default_rng(s).random() < below)


EAGER = _seed_with_small_first_draw()


def place(
    oid: int = 1, side: OrderSide = "buy", px: float = 100.0, sz: float = 1.0, ts: int = T0
) -> PlaceOrder:
    return PlaceOrder(ts=ts, oid=oid, side=side, px=px, sz=sz, level=0, cycle=0)


def simulator(
    cfg: FillSection = FLAT, seed: int = EAGER, orders: Sequence[PlaceOrder] = (), book: bool = True
) -> FillSimulator:
    """A simulator that has seen the default book (bid 99.99 / ask 100.01) and accepted ``orders``."""
    sim = FillSimulator(cfg, seed)
    if book:
        sim.handle(make_book(ts=T0))
    for cmd in orders:
        assert isinstance(sim.handle(cmd)[-1], OrderAccepted)
    return sim


def fills(events: Sequence[Event]) -> list[Fill]:
    return [e for e in events if isinstance(e, Fill)]


def only_fill(events: Sequence[Event]) -> Fill:
    (fill,) = fills(events)
    return fill


def rng_state(sim: FillSimulator) -> object:
    return sim.snapshot()["rng"]


def rng_after(seed: int, draws: int) -> object:
    rng = np.random.default_rng(seed)
    rng.random(draws)
    return rng.bit_generator.state


# -- the factors -------------------------------------------------------------------------


def test_touch_probability_is_the_base_of_the_product() -> None:
    sim = simulator(FillSection(touch_probability=0.2), orders=[place()])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=100.0, sz=1.0, side="A")))
    assert fill.touch_probability == 0.2
    assert fill.probability == pytest.approx(0.2 * 0.4)  # every other factor is 1 here but queue


@pytest.mark.parametrize(
    ("side", "trade_px", "aggressor", "factor"),
    [
        ("buy", 100.0, "A", 1.0),
        ("buy", 99.99, "A", 1.5),
        ("sell", 100.0, "B", 1.0),
        ("sell", 100.01, "B", 1.5),
    ],
)
def test_price_factor_is_higher_through_our_level(
    side: OrderSide, trade_px: float, aggressor: str, factor: float
) -> None:
    sim = simulator(orders=[place(side=side, px=100.0)])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=trade_px, side=aggressor)))
    assert fill.price_factor == factor


@pytest.mark.parametrize(("trade_sz", "factor"), [(0.1, 0.5), (0.5, 0.5), (0.8, 0.8), (2.0, 2.0), (7.0, 2.0)])
def test_size_factor_is_trade_over_remaining_clamped(trade_sz: float, factor: float) -> None:
    sim = simulator(orders=[place(sz=1.0)])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, sz=trade_sz)))
    assert fill.size_factor == pytest.approx(factor)


def test_flat_queue_factor_is_the_queue_position_factor() -> None:
    sim = simulator(FillSection(queue_position_factor=0.25), orders=[place()])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE)))
    assert (fill.queue_factor, fill.queue_ahead) == (0.25, 0.0)


@pytest.mark.parametrize(
    ("age", "bonus"), [(0, 0.7), (SEC - 1, 0.7), (SEC, 1.0), (10 * SEC, 1.0), (10 * SEC + 1, 1.3)]
)
def test_age_bonus_bands_at_their_boundaries(age: int, bonus: float) -> None:
    sim = simulator(orders=[place()])
    fill = only_fill(sim.handle(make_trade(ts=REST + age)))
    assert fill.age_factor == bonus


@pytest.mark.parametrize(
    ("side", "aggressor", "factor"),
    [("buy", "A", 1.0), ("buy", "B", 0.3), ("sell", "B", 1.0), ("sell", "A", 0.3)],
)
def test_aggressor_on_our_side_is_discounted(side: OrderSide, aggressor: str, factor: float) -> None:
    sim = simulator(orders=[place(side=side)])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=100.0, side=aggressor)))
    assert fill.aggressor_factor == factor


@pytest.mark.parametrize("cap", [0.95, 0.5])
def test_probability_is_capped_at_max_probability(cap: float) -> None:
    cfg = FillSection(touch_probability=1.0, queue_position_factor=1.0, max_probability=cap)
    sim = simulator(cfg, orders=[place()])
    # through (1.5) x size (2.0) x old order (1.3): 3.9 before the cap
    fill = only_fill(sim.handle(make_trade(ts=REST + 11 * SEC, px=99.98, sz=5.0)))
    assert fill.probability == cap


# -- the price rule and the draws ----------------------------------------------------------


@pytest.mark.parametrize(("side", "trade_px"), [("buy", 100.01), ("sell", 99.99)])
@pytest.mark.parametrize("aggressor", ["A", "B"])
def test_trade_beyond_our_price_neither_draws_nor_fills(
    side: OrderSide, trade_px: float, aggressor: str
) -> None:
    sim = simulator(orders=[place(side=side, px=100.0)])
    assert sim.handle(make_trade(ts=MID_AGE, px=trade_px, side=aggressor)) == NOTHING
    assert rng_state(sim) == rng_after(EAGER, 0)


def test_every_order_the_price_rule_admits_draws_even_at_zero_probability() -> None:
    sim = simulator(FillSection(touch_probability=0.0), orders=[place(1), place(2, px=99.99)])
    assert sim.handle(make_trade(ts=MID_AGE, px=99.99)) == NOTHING
    assert rng_state(sim) == rng_after(EAGER, 2)


def test_fill_iff_draw_below_probability_and_explanation_reproduces_it() -> None:
    seed = 3
    draw = float(np.random.default_rng(seed).random())
    outcomes = set()
    # Through (1.5) x half size (0.5) x queue (0.4) = 0.3 x touch: probabilities just
    # below and just above the draw.
    for touch in (draw / 0.3 * 0.99, draw / 0.3 * 1.01):
        sim = simulator(FillSection(touch_probability=touch), seed=seed, orders=[place()])
        out = sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=0.5))
        expected = min(touch * 1.5 * 0.5 * 0.4 * 1.0 * 1.0, 0.95)
        outcomes.add(bool(fills(out)))
        assert bool(fills(out)) == (draw < expected)
        for fill in fills(out):
            factors = (
                fill.touch_probability
                * fill.price_factor
                * fill.size_factor
                * fill.queue_factor
                * fill.age_factor
                * fill.aggressor_factor
            )
            assert fill.probability == pytest.approx(min(factors, 0.95)) == pytest.approx(expected)
            assert fill.draw == draw < fill.probability
    assert outcomes == {False, True}


# -- order life: latency, cancel, expiry, partial fills ------------------------------------


def test_orders_rest_only_after_placement_latency() -> None:
    sim = simulator(orders=[place(ts=T0)])
    assert sim.handle(make_trade(ts=REST - 1)) == NOTHING
    assert rng_state(sim) == rng_after(EAGER, 0)  # not resting yet: not even a draw
    assert only_fill(sim.handle(make_trade(ts=REST, tid=2))).tid == 2


def test_cancel_takes_effect_after_cancel_latency_and_a_fill_may_come_in_between() -> None:
    sim = simulator(orders=[place(sz=1.0)])
    cancel_ts = MID_AGE
    assert sim.handle(CancelOrder(ts=cancel_ts, oid=1)) == NOTHING
    fill = only_fill(sim.handle(make_trade(ts=cancel_ts + 50 * MS - 1, sz=1.0)))
    assert fill.remaining == pytest.approx(0.6)
    effective = cancel_ts + 50 * MS
    out = sim.handle(make_book(ts=effective))
    assert out == [OrderCanceled(ts=effective, oid=1, reason="canceled", remaining=fill.remaining)]
    assert sim.handle(make_trade(ts=effective + 1)) == NOTHING
    assert sim.resting_orders() == ()


def test_orders_expire_once_older_than_max_order_age() -> None:
    sim = simulator(FillSection(max_order_age_s=60.0), orders=[place()])
    last_alive = REST + 60 * SEC
    assert only_fill(sim.handle(make_trade(ts=last_alive))).ts == last_alive
    (expired,) = sim.handle(make_trade(ts=last_alive + 1, tid=2))
    assert isinstance(expired, OrderCanceled)
    assert (expired.ts, expired.oid, expired.reason) == (last_alive + 1, 1, "expired")
    assert expired.remaining == pytest.approx(0.6)


def test_partial_fill_keeps_the_rest_resting() -> None:
    sim = simulator(orders=[place(sz=1.0)])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, sz=1.0)))
    assert (fill.sz, fill.remaining) == (pytest.approx(0.4), pytest.approx(0.6))
    (order,) = sim.resting_orders()
    assert order.remaining == pytest.approx(0.6)


def test_one_trade_liquidity_is_consumed_once_in_price_priority() -> None:
    orders = [place(oid=1, px=99.99), place(oid=3, px=100.0), place(oid=2, px=100.0)]
    sim = simulator(CERTAIN, seed=0, orders=orders)
    out = sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=1.5, side="A"))
    # Highest bid first, ties by oid; the third order draws but the trade is used up.
    assert [(f.oid, f.sz) for f in fills(out)] == [(2, 1.0), (3, pytest.approx(0.5))]
    assert rng_state(sim) == rng_after(0, 3)


# -- placement checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "px", "rejected"),
    [
        ("buy", 100.01, True),
        ("buy", 100.5, True),
        ("sell", 99.99, True),
        ("buy", 100.0, False),
        ("sell", 100.0, False),
    ],
)
def test_post_only_rejects_orders_that_would_cross(side: OrderSide, px: float, rejected: bool) -> None:
    out = simulator().handle(place(side=side, px=px))
    if rejected:
        assert out == [OrderRejected(ts=T0, oid=1, reason="post_only_would_cross")]
    else:
        assert out == [OrderAccepted(ts=T0, oid=1, rests_at=REST, queue_ahead=0.0)]


@pytest.mark.parametrize(
    ("px", "sz", "reason"),
    [(0.0, 1.0, "invalid_px"), (-1.0, 1.0, "invalid_px"), (math.nan, 1.0, "invalid_px"), (math.inf, 1.0, "invalid_px"),
     (100.0, 0.0, "invalid_sz"), (100.0, -2.0, "invalid_sz"), (100.0, math.nan, "invalid_sz")],
)  # fmt: skip
def test_non_positive_or_non_finite_orders_are_rejected(px: float, sz: float, reason: str) -> None:
    assert simulator().handle(place(px=px, sz=sz)) == [OrderRejected(ts=T0, oid=1, reason=reason)]


def test_a_live_oid_cannot_be_placed_twice() -> None:
    sim = simulator(orders=[place(oid=1)])
    assert sim.handle(place(oid=1, px=99.0)) == [OrderRejected(ts=T0, oid=1, reason="duplicate_oid")]


def test_unknown_cancels_are_ignored_but_counted() -> None:
    sim = simulator(orders=[place(oid=1)])
    assert sim.handle(CancelOrder(ts=T0, oid=99)) == NOTHING
    assert sim.statistics().unknown_cancels == 1
    assert [o.oid for o in sim.resting_orders()] == [1]


# -- depth mode: per-order queue estimates --------------------------------------------------


def depth_book(ts: int = T0, size_at_9999: float = 3.0) -> BookSnapshot:
    """Bids 99.99 (``size_at_9999``), 99.98, 99.97; asks 100.01 and up, 1.0 each."""
    book = make_book(ts=ts, levels=3)
    return msgspec.structs.replace(book, bid_sz=(size_at_9999, 1.0, 1.0))


def depth_simulator(px: float = 99.99, sz: float = 1.0) -> FillSimulator:
    sim = FillSimulator(DEPTH, EAGER)
    sim.handle(depth_book())
    sim.handle(place(px=px, sz=sz))
    return sim


@pytest.mark.parametrize(
    ("px", "queue"), [(99.99, 3.0), (99.98, 1.0), (100.0, 0.0), (99.985, 0.0), (99.5, 0.0)]
)
def test_depth_queue_ahead_starts_at_the_displayed_size_of_our_level(px: float, queue: float) -> None:
    sim = FillSimulator(DEPTH, EAGER)
    sim.handle(depth_book())
    assert sim.handle(place(px=px)) == [OrderAccepted(ts=T0, oid=1, rests_at=REST, queue_ahead=queue)]


def test_depth_queue_factor_and_budget_come_from_the_queue_ahead() -> None:
    sim = depth_simulator()  # 3.0 ahead of our 1.0
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=4.0)))
    assert fill.queue_ahead == 3.0
    assert fill.queue_factor == pytest.approx((1 - 3.0 / 4.0) ** 1.5)
    assert fill.age_factor == 1.0
    assert fill.sz == pytest.approx(1.0)  # 4.0 traded, 3.0 of it went to the queue ahead


def test_depth_queue_shrinks_by_trades_at_or_through_our_price_on_our_side() -> None:
    sim = depth_simulator()
    steps = [
        (make_trade(ts=T0 + 1, px=100.0, sz=1.0, side="A"), 3.0),  # above our bid: not our level
        (make_trade(ts=T0 + 2, px=99.99, sz=0.5, side="B"), 3.0),  # a buyer does not eat our queue
        (make_trade(ts=T0 + 3, px=99.99, sz=0.5, side="A"), 2.5),  # during latency it still counts
        (make_trade(ts=MID_AGE, px=99.98, sz=2.0, side="A"), 0.5),  # through our price
        (make_trade(ts=MID_AGE + 1, px=99.99, sz=2.0, side="A"), 0.0),
    ]
    for trade, queue in steps:
        sim.handle(trade)
        assert sim.resting_orders()[0].queue_ahead == pytest.approx(queue)


def test_depth_queue_is_clamped_down_by_snapshots() -> None:
    sim = depth_simulator()
    for size, queue in [(1.5, 1.5), (5.0, 1.5), (0.2, 0.2)]:
        sim.handle(depth_book(ts=T0 + 1, size_at_9999=size))
        assert sim.resting_orders()[0].queue_ahead == queue
    gone = make_book(ts=T0 + 2, bid=99.98, levels=3)  # our level vanished from the book
    sim.handle(gone)
    assert sim.resting_orders()[0].queue_ahead == 0.0


# -- explanation context, inspection, determinism -------------------------------------------


def test_fill_mid_is_the_last_snapshot_mid_and_nan_before_any() -> None:
    sim = simulator(CERTAIN, book=False, orders=[place(sz=2.0)])
    assert math.isnan(only_fill(sim.handle(make_trade(ts=MID_AGE))).mid)
    sim.handle(make_book(ts=MID_AGE, bid=99.95, ask=99.99))
    assert only_fill(sim.handle(make_trade(ts=MID_AGE + 1, tid=2, sz=0.1))).mid == pytest.approx(99.97)


def test_statistics_count_what_happened() -> None:
    sim = simulator(CERTAIN, orders=[place(1), place(2, side="sell", px=100.5)])
    sim.handle(place(3, px=101.0))  # crosses
    sim.handle(make_trade(ts=MID_AGE, sz=5.0))  # fills order 1 completely
    sim.handle(make_trade(ts=MID_AGE, px=200.0, side="B", sz=0.1))  # partial fill of order 2
    sim.handle(CancelOrder(ts=MID_AGE, oid=1))  # already filled: unknown
    sim.handle(CancelOrder(ts=MID_AGE, oid=2))
    sim.handle(make_trade(ts=MID_AGE + SEC, px=150.0))
    stats = sim.statistics()
    assert (stats.orders_accepted, stats.orders_rejected, stats.orders_filled, stats.fills) == (2, 1, 1, 2)
    assert (stats.orders_canceled, stats.orders_expired, stats.trades_seen) == (1, 0, 3)
    assert (stats.unknown_cancels, stats.live_orders) == (1, 0)


def test_resting_orders_and_snapshot_are_plain_data() -> None:
    sim = simulator(orders=[place(1), place(2, side="sell", px=100.5)])
    assert [(o.oid, o.side) for o in sim.resting_orders()] == [(1, "buy"), (2, "sell")]
    assert isinstance(sim.resting_orders()[0], RestingOrder)
    data = msgspec.json.decode(msgspec.json.encode(sim.snapshot()))
    assert data["orders"][0]["oid"] == 1
    assert data["mid"] == 100.0
    assert data["rng"] == rng_after(EAGER, 0)


def test_the_model_alone_is_a_pure_function_of_order_and_trade() -> None:
    """replay.explain recomputes factors by calling it again: it must not touch the order."""
    model = FillModel(FLAT)
    order = new_order(place(sz=2.0), placement_ns=100 * MS, max_age_ns=300 * SEC, queue_ahead=0.0)
    before = attrs.asdict(order)
    trade = make_trade(ts=MID_AGE, px=100.0, sz=1.0, side="A")
    chance = model.assess(order, trade, True, 0.0, 1.0)
    assert chance == model.assess(order, trade, True, 0.0, 1.0)
    # touch 0.3 x size 0.5 (1 of 2 left) x queue 0.4; for trade size x queue share.
    assert (chance.probability, chance.size) == (pytest.approx(0.3 * 0.5 * 0.4), pytest.approx(0.4))
    fill = chance.fill(order, trade, 0.0, 100.0, draw=0.01, adverse_draw=-1.0)
    assert (fill.sz, fill.remaining, fill.trade_ts) == (chance.size, pytest.approx(1.6), 0)
    assert attrs.asdict(order) == before


def test_the_simulator_fills_with_the_models_factors() -> None:
    sim = simulator(orders=[place(sz=2.0)])
    trade = make_trade(ts=MID_AGE, px=100.0, sz=1.0, side="A")
    fill = only_fill(sim.handle(trade))
    order = new_order(place(sz=2.0), placement_ns=100 * MS, max_age_ns=300 * SEC, queue_ahead=0.0)
    chance = FillModel(FLAT).assess(order, trade, True, 0.0, trade.sz)
    assert tuple(getattr(fill, f) for f in chance._fields[:-1]) == chance[:-1]
    assert fill.sz == chance.size


def test_a_trade_touching_nothing_allocates_nothing() -> None:
    sim = simulator(orders=[place(1, px=99.9), place(2, side="sell", px=100.1)])
    assert sim.handle(make_trade(ts=MID_AGE, px=100.0)) is NOTHING


# -- properties over random sessions ----------------------------------------------------------


@st.composite
def sessions(draw: st.DrawFn) -> tuple[FillSection, int, list[Event]]:
    """A random config, seed and time-ordered stream of books, orders, cancels and trades."""
    cfg = FillSection(
        ignore_book_depth=draw(st.booleans()),
        # Often 1.0, so that fills are common enough to test the invariants on.
        touch_probability=draw(st.just(1.0) | st.floats(0.0, 1.0)),
        queue_position_factor=draw(st.just(1.0) | st.floats(0.0, 1.0)),
        max_probability=draw(st.just(1.0) | st.floats(0.0, 1.0)),
        placement_latency_ms=draw(st.sampled_from([0.0, 100.0])),
        cancel_latency_ms=draw(st.sampled_from([0.0, 50.0])),
        max_order_age_s=draw(st.sampled_from([0.5, 300.0])),
    )
    ts, oid, tid = T0, 0, 0
    events: list[Event] = []
    for _ in range(draw(st.integers(1, 60))):
        ts += draw(st.sampled_from([0, 1, 50 * MS, 100 * MS, SEC]))
        kind = draw(st.sampled_from(["book", "place", "place", "cancel", "trade", "trade", "trade"]))
        tick = draw(st.integers(-4, 4)) * 0.01
        if kind == "book":
            events.append(make_book(ts=ts, bid=round(99.99 + tick, 2), ask=round(100.01 + tick, 2), size=2.0))
        elif kind == "place":
            oid += 1
            side = draw(st.sampled_from(["buy", "sell"]))
            events.append(place(oid, side, round(100.0 + tick, 2), draw(st.floats(0.01, 3.0)), ts))
        elif kind == "cancel":
            events.append(CancelOrder(ts=ts, oid=draw(st.integers(1, oid + 2))))
        else:
            tid += 1
            sz = draw(st.floats(0.01, 5.0))
            events.append(make_trade(ts, round(100.0 + tick, 2), sz, draw(st.sampled_from(["A", "B"])), tid))
    return cfg, draw(st.integers(0, 2**32)), events


def steps(cfg: FillSection, seed: int, events: list[Event]) -> list[tuple[Event, Sequence[Event]]]:
    """Each input with what the simulator emitted for it."""
    sim = FillSimulator(cfg, seed)
    out = [(event, sim.handle(event)) for event in events]
    for event, emitted in out:
        assert all(e.ts == event.ts for e in emitted)  # derived events carry their cause's time
    return out


def run(cfg: FillSection, seed: int, events: list[Event]) -> list[Event]:
    return [e for _, emitted in steps(cfg, seed, events) for e in emitted]


TOL = 1e-9


@given(sessions())
def test_one_trade_never_fills_more_than_its_size(session: tuple[FillSection, int, list[Event]]) -> None:
    cfg, seed, events = session
    trades = {e.tid: e.sz for e in events if isinstance(e, Trade)}
    per_trade: dict[int, float] = defaultdict(float)
    for fill in fills(run(cfg, seed, events)):
        per_trade[fill.tid] += fill.sz
    assert all(total <= trades[tid] * (1 + TOL) for tid, total in per_trade.items())


@given(sessions())
def test_no_order_fills_more_than_its_size(session: tuple[FillSection, int, list[Event]]) -> None:
    cfg, seed, events = session
    sizes = {e.oid: e.sz for e in events if isinstance(e, PlaceOrder)}
    per_order: dict[int, float] = defaultdict(float)
    for fill in fills(run(cfg, seed, events)):
        per_order[fill.oid] += fill.sz
        assert fill.remaining == pytest.approx(sizes[fill.oid] - per_order[fill.oid], abs=TOL)
    assert all(total <= sizes[oid] * (1 + TOL) for oid, total in per_order.items())


@given(sessions())
def test_fills_only_while_the_order_rests(session: tuple[FillSection, int, list[Event]]) -> None:
    cfg, seed, events = session
    max_age = round(cfg.max_order_age_s * SEC)
    rests_at: dict[int, int] = {}
    cancel_effective: dict[int, int] = {}
    gone: set[int] = set()
    for event, emitted in steps(cfg, seed, events):
        if isinstance(event, CancelOrder) and event.oid in rests_at:
            cancel_effective.setdefault(event.oid, event.ts + round(cfg.cancel_latency_ms * MS))
        for e in emitted:
            if isinstance(e, OrderAccepted):
                rests_at[e.oid] = e.rests_at
            elif isinstance(e, OrderCanceled):
                gone.add(e.oid)
                if e.reason == "canceled":
                    assert e.ts >= cancel_effective[e.oid]
                else:
                    assert e.ts > rests_at[e.oid] + max_age
            elif isinstance(e, Fill):
                assert e.oid not in gone
                assert rests_at[e.oid] <= e.ts <= rests_at[e.oid] + max_age
                assert e.ts < cancel_effective.get(e.oid, e.ts + 1)


@given(sessions())
def test_probability_stays_in_range_and_explains_the_fill(
    session: tuple[FillSection, int, list[Event]],
) -> None:
    cfg, seed, events = session
    for fill in fills(run(cfg, seed, events)):
        assert 0.0 <= fill.probability <= cfg.max_probability
        assert fill.draw < fill.probability
        assert fill.sz > 0.0


@given(sessions())
def test_same_seed_and_inputs_give_identical_outputs(session: tuple[FillSection, int, list[Event]]) -> None:
    cfg, seed, events = session
    encode = msgspec.msgpack.encode
    assert [encode(e) for e in run(cfg, seed, events)] == [encode(e) for e in run(cfg, seed, events)]


# -- trade-through mode (issue: quoting modes and risk controls) -------------------------------

THROUGH = FillSection(mode="trade_through")


@pytest.mark.parametrize(("trade_px", "probability"), [(99.99, 1.0), (100.0, 0.9)])
def test_trade_through_fills_through_our_price_always_and_at_it_with_point_nine(
    trade_px: float, probability: float
) -> None:
    seed = next(s for s in range(10_000) if 0.9 <= np.random.default_rng(s).random() < 0.95)
    sim = simulator(THROUGH, seed=seed, orders=[place(sz=1.0)])
    out = sim.handle(make_trade(ts=REST, px=trade_px, sz=0.6, side="B"))  # young, wrong aggressor
    if probability == 1.0:
        fill = only_fill(out)
        # The whole trade's liquidity: no queue share, no age or aggressor discount.
        assert (fill.sz, fill.probability, fill.touch_probability) == (0.6, 1.0, 1.0)
        assert fill.price_factor == fill.size_factor == fill.queue_factor == fill.age_factor == 1.0
        assert fill.aggressor_factor == 1.0 and fill.draw >= 0.9
    else:
        assert fills(out) == []  # the draw (>= 0.9) misses the 0.9 at our level
    assert rng_state(sim) == rng_after(seed, 1)


def test_trade_through_fills_at_least_as_often_as_probabilistic_on_the_same_inputs() -> None:
    counts = {}
    for cfg in (FLAT, THROUGH):
        sim = FillSimulator(cfg, 11)
        sim.handle(make_book(ts=T0))
        oid = 0
        n = 0
        for i in range(2000):
            ts = T0 + (i + 1) * 100 * MS
            if not sim.resting_orders():  # keep one bid and one ask resting
                for side, px in (("buy", 99.99), ("sell", 100.01)):
                    oid += 1
                    sim.handle(place(oid, side, px, 0.5, ts=ts - 200 * MS))  # type: ignore[arg-type]
            side = "A" if i % 2 else "B"
            px = (99.99 - 0.01 * (i % 3)) if side == "A" else (100.01 + 0.01 * (i % 3))
            n += len(fills(sim.handle(make_trade(ts=ts, px=px, sz=0.3, side=side, tid=i))))
        counts[cfg.mode] = n
    assert counts["trade_through"] >= counts["probabilistic"] > 0


def test_post_only_check_passes_without_a_book() -> None:
    sim = FillSimulator(FLAT, EAGER)
    out = sim.handle(place(1, "buy", 100.0))
    assert isinstance(out[-1], OrderAccepted)
    assert isinstance(sim.handle(place(2, "sell", 99.0))[-1], OrderAccepted)
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=100.0, side="A")))
    assert math.isnan(fill.mid)


# -- adverse fills -------------------------------------------------------------------------------

ADVERSE = FillSection(touch_probability=1.0, queue_position_factor=1.0, max_probability=1.0,
                      young_order_factor=1.0, min_size_factor=1.0, adverse_fill_ratio=1.0)  # fmt: skip
HORIZON = MID_AGE + 5 * SEC  # the default fill.adverse_horizon_s after the trade at MID_AGE
LOWER = {"bid": 99.98, "ask": 100.0}  # touch mid 99.99: against a buy at mid 100
HIGHER = {"bid": 100.0, "ask": 100.02}  # touch mid 100.01: our way after a buy


def quiet_trade(ts: int, tid: int = 99) -> Trade:
    """A trade between our bid (99.99) and ask (none): it touches none of our orders."""
    return make_trade(ts=ts, px=100.0, sz=0.1, side="B", tid=tid)


def _held_buy(seed: int = 1, cfg: FillSection = ADVERSE, sz: float = 1.0) -> FillSimulator:
    """A bid at 99.99 (touch mid 100) whose trade at MID_AGE fills 0.4 with certainty, held."""
    sim = simulator(cfg, seed=seed, orders=[place(1, "buy", 99.99, sz)])
    assert sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=0.4, side="A")) == NOTHING
    assert sim.statistics().adverse_held == 1 and sim.statistics().fills == 0
    return sim


def test_a_held_fill_is_decided_by_the_mid_at_its_horizon_not_one_event_earlier() -> None:
    sim = _held_buy()
    # The mid falls at once, and at the horizon itself: still undecided, because the mid
    # in force at the horizon is final only once a later event is seen.
    assert fills(sim.handle(make_book(ts=MID_AGE + SEC, **LOWER))) == []
    assert fills(sim.handle(make_book(ts=HORIZON, bid=99.97, ask=99.99))) == []
    assert sim.statistics().adverse_held == 1 and sim.statistics().fills == 0
    # The first event after the horizon decides it: the mid at the horizon (99.98) is
    # below the mid at the trade, so the fill happens, logged at this event.
    fill = only_fill(sim.handle(quiet_trade(HORIZON + 1)))
    assert fill.ts == HORIZON + 1 and fill.trade_ts == MID_AGE
    assert fill.mid == 100.0  # the touch mid when the trade printed
    assert (fill.sz, fill.remaining) == (0.4, pytest.approx(0.6))
    assert 0.0 <= fill.adverse_draw < 1.0 and fill.draw < fill.probability
    assert sim.statistics().adverse_confirmed == 1 and sim.statistics().fills == 1
    assert sim.resting_orders()[0].remaining == pytest.approx(0.6)
    # Two draws per decision: the fill draw, then the adverse draw.
    assert rng_state(sim) == rng_after(1, 2)
    assert fill.draw == float(np.random.default_rng(1).random())


def test_only_the_mid_at_the_horizon_counts_not_the_moves_before_or_after() -> None:
    # Against us in between, back to the trade's mid by the horizon: never happens (a flat
    # mid is not against us), however far it falls right after the horizon.
    sim = _held_buy()
    sim.handle(make_book(ts=MID_AGE + SEC, **LOWER))
    sim.handle(make_book(ts=MID_AGE + 4 * SEC))
    assert fills(sim.handle(make_book(ts=HORIZON + 1, bid=99.0, ask=99.02))) == []
    stats = sim.statistics()
    assert (stats.adverse_lapsed, stats.adverse_confirmed, stats.fills) == (1, 0, 0)
    assert sim.resting_orders()[0].remaining == 1.0
    # Our way in between, against us at the horizon: happens, decided at a book that
    # moves the mid back up (it is decided before that book moves anything).
    sim = _held_buy()
    sim.handle(make_book(ts=MID_AGE + SEC, **HIGHER))
    sim.handle(make_book(ts=MID_AGE + 3 * SEC, **LOWER))
    fill = only_fill(sim.handle(make_book(ts=HORIZON + 2 * SEC, bid=100.5, ask=100.52)))
    assert fill.ts == HORIZON + 2 * SEC and fill.mid == 100.0


def test_an_adverse_fill_never_happens_when_the_mid_moves_our_way() -> None:
    sim = _held_buy()
    sim.handle(make_book(ts=MID_AGE + SEC, **HIGHER))
    assert fills(sim.handle(quiet_trade(HORIZON + 1))) == []
    stats = sim.statistics()
    assert (stats.adverse_lapsed, stats.fills) == (1, 0)
    assert sim.resting_orders()[0].remaining == 1.0


def test_a_held_sell_needs_a_higher_mid() -> None:
    sim = simulator(ADVERSE, seed=1, orders=[place(1, "sell", 100.01, 1.0)])
    assert sim.handle(make_trade(ts=MID_AGE, px=100.01, sz=0.4, side="B")) == NOTHING
    sim.handle(make_book(ts=MID_AGE + SEC, **HIGHER))
    fill = only_fill(sim.handle(make_book(ts=HORIZON + 1, **LOWER)))
    assert fill.side == "sell" and fill.trade_ts == MID_AGE and fill.mid == 100.0


def test_an_order_that_leaves_the_book_keeps_its_held_fills_and_ends_after_them() -> None:
    # The trade hit the order while it rested: a cancel taking effect later does not undo
    # the held fill, but the order matches nothing more and its end waits for the decision.
    sim = _held_buy()
    sim.handle(CancelOrder(ts=MID_AGE + 10 * MS, oid=1))  # takes effect at + 60 ms
    assert sim.handle(make_trade(ts=MID_AGE + SEC, px=50.0, tid=9)) == NOTHING  # through our bid
    assert sim.resting_orders() == () and sim.statistics().live_orders == 0
    assert rng_state(sim) == rng_after(1, 2)  # the order is off the book: no draw for it
    sim.handle(make_book(ts=MID_AGE + 2 * SEC, **LOWER))
    out = sim.handle(quiet_trade(HORIZON + 1))
    assert [type(e) for e in out] == [Fill, OrderCanceled]
    fill, canceled = out
    assert (fill.ts, fill.trade_ts, fill.sz, fill.remaining) == (
        HORIZON + 1,
        MID_AGE,
        0.4,
        pytest.approx(0.6),
    )  # type: ignore[union-attr]
    assert (canceled.ts, canceled.reason, canceled.remaining) == (HORIZON + 1, "canceled", pytest.approx(0.6))  # type: ignore[union-attr]
    stats = sim.statistics()
    assert (stats.adverse_confirmed, stats.orders_canceled, stats.fills) == (1, 1, 1)
    # The mid went our way: no fill, and the order ends with all it had.
    sim = _held_buy()
    sim.handle(CancelOrder(ts=MID_AGE + 10 * MS, oid=1))
    sim.handle(make_book(ts=MID_AGE + 2 * SEC, **HIGHER))
    out = sim.handle(quiet_trade(HORIZON + 1))
    assert [type(e) for e in out] == [OrderCanceled] and out[0].remaining == 1.0  # type: ignore[attr-defined]
    assert sim.statistics().adverse_lapsed == 1 and sim.statistics().orders_canceled == 1


def test_held_fills_that_complete_an_order_off_the_book_leave_no_cancel() -> None:
    sim = _held_buy(sz=0.4)
    sim.handle(CancelOrder(ts=MID_AGE + 10 * MS, oid=1))
    sim.handle(make_book(ts=MID_AGE + 2 * SEC, **LOWER))
    assert only_fill(sim.handle(quiet_trade(HORIZON + 1))).remaining == 0.0
    stats = sim.statistics()
    assert (stats.orders_filled, stats.orders_canceled, stats.live_orders) == (1, 0, 0)


def test_an_order_without_held_fills_ends_at_once() -> None:
    sim = _held_buy()
    sim.handle(place(2, "sell", 100.01, 1.0, ts=MID_AGE))
    sim.handle(CancelOrder(ts=MID_AGE + 10 * MS, oid=2))
    out = sim.handle(quiet_trade(MID_AGE + SEC))
    assert [(type(e), e.oid) for e in out] == [(OrderCanceled, 2)]  # type: ignore[attr-defined]


def test_a_cancel_taking_effect_after_the_horizon_comes_after_the_fill() -> None:
    sim = _held_buy()
    sim.handle(make_book(ts=MID_AGE + SEC, **LOWER))
    sim.handle(CancelOrder(ts=HORIZON - 40 * MS, oid=1))  # takes effect 10 ms after the horizon
    out = sim.handle(quiet_trade(HORIZON + 20 * MS))
    assert [type(e) for e in out] == [Fill, OrderCanceled]
    assert out[0].sz == 0.4 and out[1].remaining == pytest.approx(0.6)  # type: ignore[attr-defined]


def test_held_fills_of_one_order_are_sized_to_what_it_has_left() -> None:
    sim = _held_buy(sz=0.6)
    # A second trade is held too: the first held fill has not touched the order yet.
    assert sim.handle(make_trade(ts=MID_AGE + SEC, px=99.99, sz=0.4, side="A", tid=2)) == NOTHING
    sim.handle(make_book(ts=MID_AGE + 2 * SEC, **LOWER))
    first = only_fill(sim.handle(quiet_trade(HORIZON + 1)))
    assert (first.sz, first.remaining, first.trade_ts) == (0.4, pytest.approx(0.2), MID_AGE)
    second = only_fill(sim.handle(quiet_trade(HORIZON + SEC + 1)))
    assert (second.sz, second.remaining, second.trade_ts) == (pytest.approx(0.2), 0.0, MID_AGE + SEC)
    assert sim.resting_orders() == () and sim.statistics().orders_filled == 1
    # Once the order is gone, a later held fill of it never happens.
    sim = _held_buy(sz=0.4)
    sim.handle(make_trade(ts=MID_AGE + SEC, px=99.99, sz=0.4, side="A", tid=2))
    sim.handle(make_book(ts=MID_AGE + 2 * SEC, **LOWER))
    assert only_fill(sim.handle(quiet_trade(HORIZON + 1))).remaining == 0.0
    assert fills(sim.handle(quiet_trade(HORIZON + SEC + 1))) == []
    assert sim.statistics().adverse_lapsed == 1


def test_the_horizon_is_a_setting() -> None:
    cfg = FillSection(**{**msgspec.structs.asdict(ADVERSE), "adverse_horizon_s": 2.0})
    assert FillSection().adverse_horizon_s == 5.0
    sim = _held_buy(cfg=cfg)
    sim.handle(make_book(ts=MID_AGE + SEC, **LOWER))
    assert fills(sim.handle(quiet_trade(MID_AGE + 2 * SEC))) == []
    assert only_fill(sim.handle(quiet_trade(MID_AGE + 2 * SEC + 1))).ts == MID_AGE + 2 * SEC + 1


def test_with_adverse_fills_on_the_touch_of_bbo_events_counts_too() -> None:
    assert Bbo not in FillSimulator(FLAT, 1).consumes
    sim = _held_buy()
    assert Bbo in sim.consumes
    # A BBO moves the touch mid against us; a one-sided BBO or book keeps it.
    sim.handle(Bbo(ts=MID_AGE + SEC, coin="BTC", bid_px=99.98, bid_sz=1.0, ask_px=100.0, ask_sz=1.0))
    sim.handle(Bbo(ts=MID_AGE + 2 * SEC, coin="BTC", bid_px=0.0, bid_sz=0.0, ask_px=100.0, ask_sz=1.0))
    one_sided = BookSnapshot(
        ts=MID_AGE + 3 * SEC, coin="BTC", bid_px=(), bid_sz=(), ask_px=(101.0,), ask_sz=(1.0,)
    )
    sim.handle(one_sided)
    bbo = Bbo(ts=HORIZON + 1, coin="BTC", bid_px=101.0, bid_sz=1.0, ask_px=101.02, ask_sz=1.0)
    fill = only_fill(sim.handle(bbo))  # decided at a BBO, before it moves the mid
    assert fill.ts == HORIZON + 1 and fill.mid == 100.0
    # A fill made after it has the BBO's touch mid.
    sim.handle(make_trade(ts=HORIZON + 2, px=99.99, sz=0.1, side="A", tid=3))
    sim.handle(Bbo(ts=HORIZON + SEC, coin="BTC", bid_px=100.9, bid_sz=1.0, ask_px=101.0, ask_sz=1.0))
    later = only_fill(sim.handle(quiet_trade(HORIZON + 5 * SEC + 3)))
    assert later.mid == pytest.approx(101.01) and later.trade_ts == HORIZON + 2


def test_a_ratio_between_zero_and_one_holds_only_the_fills_whose_draw_is_below_it() -> None:
    cfg = FillSection(**{**msgspec.structs.asdict(ADVERSE), "adverse_fill_ratio": 0.5})
    held = immediate = 0
    for seed in range(40):
        sim = simulator(cfg, seed=seed, orders=[place(1, "buy", 99.99, 1.0)])
        out = sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=0.4, side="A"))
        rng = np.random.default_rng(seed)
        rng.random()
        adverse_draw = float(rng.random())
        if adverse_draw < 0.5:
            assert out == NOTHING
            held += 1
            # Decided at the horizon like any held fill.
            sim.handle(make_book(ts=MID_AGE + SEC, **LOWER))
            assert fills(sim.handle(make_book(ts=HORIZON, **HIGHER))) == []
            assert fills(sim.handle(quiet_trade(HORIZON + 1))) == []
            assert sim.statistics().adverse_lapsed == 1
        else:
            fill = only_fill(out)
            assert fill.adverse_draw == adverse_draw and fill.trade_ts == fill.ts == MID_AGE
            immediate += 1
    assert held > 5 and immediate > 5


def test_a_ratio_between_zero_and_one_mixes_immediate_and_held_fills_in_one_run() -> None:
    cfg = FillSection(**{**msgspec.structs.asdict(ADVERSE), "adverse_fill_ratio": 0.5})
    sim = simulator(cfg, seed=3, orders=[place(1, "buy", 99.99, 100.0)])
    logged: list[Fill] = []
    touch: list[tuple[int, float]] = [(T0, 100.0)]
    for i in range(120):
        ts = MID_AGE + i * SEC
        logged += fills(sim.handle(make_trade(ts=ts, px=99.99, sz=0.1, side="A", tid=i)))
        book = LOWER if (i // 3) % 2 else HIGHER
        logged += fills(sim.handle(make_book(ts=ts + 500 * MS, **book)))
        touch.append((ts + 500 * MS, (book["bid"] + book["ask"]) / 2))
    immediate = [f for f in logged if f.trade_ts == f.ts]
    held = [f for f in logged if f.trade_ts < f.ts]
    assert len(immediate) > 5 and len(held) > 5
    times = [t for t, _ in touch]
    for f in held:
        # Logged at the first event after its horizon, which had the mid against it.
        assert f.trade_ts + 5 * SEC < f.ts <= f.trade_ts + 6 * SEC
        at_horizon = touch[bisect.bisect_right(times, f.trade_ts + 5 * SEC) - 1][1]
        assert at_horizon < f.mid
    stats = sim.statistics()
    assert stats.adverse_confirmed == len(held) and stats.adverse_lapsed > 5
    assert stats.fills == len(logged)
    assert sim.resting_orders()[0].remaining == pytest.approx(100.0 - sum(f.sz for f in logged))


def test_no_adverse_draw_is_made_when_the_ratio_is_zero() -> None:
    sim = simulator(CERTAIN, seed=1, orders=[place(1, "buy", 99.99, 1.0)])
    fill = only_fill(sim.handle(make_trade(ts=MID_AGE, px=99.99, sz=0.4, side="A")))
    assert (fill.adverse_draw, fill.trade_ts) == (-1.0, 0)
    assert rng_state(sim) == rng_after(1, 1)
