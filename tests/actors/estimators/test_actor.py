"""The estimators actor: cadence, the three loops, robustness, summary, snapshots, wiring,
and its market features (actors.estimators.market_features)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.base import NOTHING, Actor
from actors.config import Config, EstimatorsSection, FeesSection, QuoteSection
from actors.estimators import EstimatorsActor, EstimatorsSnapshot, Volatility
from actors.estimators import snapshot as snapshot_module
from actors.estimators.market_features import TakerFlow, book_imbalance, vol_ratio
from actors.graph import build_actors
from actors.quote_engine import QuoteEngine
from events import (
    Bbo,
    BookSnapshot,
    Estimates,
    Event,
    Fill,
    Mids,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    PriorInjected,
    QuoteCycle,
    Trade,
)
from events.codec import encode
from events.orders import OrderSide
from tests.conftest import MS, SEC, T0, make_book, make_trade

QUOTE = QuoteSection(min_requote_interval_ms=1000.0, observe_s=0.0)
FEES = FeesSection()


def actor(**overrides: object) -> EstimatorsActor:
    return EstimatorsActor(EstimatorsSection(**overrides), QUOTE, FEES)  # type: ignore[arg-type]


def fill(ts: int, oid: int, side: OrderSide, px: float, mid: float = 100.0, sz: float = 0.5,
         remaining: float = 0.0) -> Fill:  # fmt: skip
    return Fill(
        ts=ts, oid=oid, side=side, px=px, sz=sz, remaining=remaining, level=0, mid=mid, tid=oid,
        trade_px=px, trade_sz=1.0, trade_side="A" if side == "buy" else "B", touch_probability=0.3,
        price_factor=1.0, size_factor=1.0, queue_factor=0.4, age_factor=1.0, aggressor_factor=1.0,
        queue_ahead=0.0, probability=0.2, draw=0.1,
    )  # fmt: skip


def estimates_of(out: Sequence[Event]) -> list[Estimates]:
    return [e for e in out if isinstance(e, Estimates)]


def test_is_an_actor_and_ignores_what_it_does_not_consume() -> None:
    est: Actor = actor()
    assert est.name == "estimators"
    consumed = {BookSnapshot, Bbo, Trade, Fill, PlaceOrder, OrderRejected, OrderCanceled, PriorInjected}
    assert set(est.consumes) == consumed
    assert est.handle(Mids(ts=T0, coin="BTC", mid=100.0)) is NOTHING


def test_graph_order_puts_the_estimators_before_the_quote_engine() -> None:
    names = [a.name for a in build_actors(Config())]
    ours = ["fill_simulator", "outcome_tracker", "estimators", "quote_engine"]
    assert [n for n in names if n in ours] == ours


def test_one_estimates_per_quote_cycle_on_the_quote_engines_cadence() -> None:
    est = actor()
    qe = QuoteEngine(QUOTE, FEES, "BTC")
    books: list[Event] = []
    ts = T0
    for i in range(40):
        ts += 300 * MS
        if i % 7 == 3:  # a one-sided book: neither quotes nor estimates
            books.append(
                BookSnapshot(ts=ts, coin="BTC", bid_px=(99.99,), bid_sz=(1.0,), ask_px=(), ask_sz=())
            )
        elif i % 5 == 0:
            books.append(Bbo(ts=ts, coin="BTC", bid_px=99.99, bid_sz=1.0, ask_px=100.01, ask_sz=1.0))
        else:
            books.append(make_book(ts=ts, bid=99.99, ask=100.01))
    emitted = [e.ts for b in books for e in est.handle(b)]
    cycles = [e.ts for b in books for e in qe.handle(b) if isinstance(e, QuoteCycle)]
    assert emitted == cycles
    assert all(b - a >= SEC for a, b in zip(emitted, emitted[1:], strict=False))
    assert est.rejected == 0


def test_first_estimates_carry_the_priors_and_the_warmup_floor() -> None:
    (first,) = actor().handle(make_book(T0))
    assert isinstance(first, Estimates)
    assert first.sigma == QUOTE.sigma_prior and first.sigma_obs == 0
    assert first.kappa_own == QUOTE.kappa_prior and first.kappa_own_obs == 0
    assert first.kappa_floor == EstimatorsSection().warmup_floor_kappa
    assert first.cal_gamma == EstimatorsSection().cal_gamma_start and first.cal_progress == 0.0
    assert first.warmup == 0.0
    assert sum(first.regime_probs) == pytest.approx(1.0) and len(first.regime_probs) == 4
    assert len(first.fill_rate) == len(first.fill_rate_depths_bps)
    assert first.regime in ("quiet", "normal", "volatile", "cascade")


def test_every_fill_reaches_kappa_and_becomes_a_markout() -> None:
    est = actor(markout_horizon_s=5.0)
    est.handle(make_book(T0, bid=99.99, ask=100.01))
    est.handle(fill(T0 + 100 * MS, 1, "buy", 99.9))
    est.handle(fill(T0 + 200 * MS, 2, "sell", 100.1))
    assert est.kappa_own.observations == 2
    # Each weighted by its notional over the 50 USD order notional, at 0.1% from the mid.
    assert est.kappa_own.snapshot().weighted_distance == pytest.approx(
        (49.95 + 50.05) / 50.0 * 0.001, rel=1e-9
    )
    assert len(est.markouts) == 2
    est.handle(make_book(T0 + 5 * SEC, bid=99.97, ask=99.99))  # before the buy's horizon ends: 0.1 s short
    assert est.adverse.observations == 0
    est.handle(make_book(T0 + 5100 * MS, bid=99.97, ask=99.99))  # mid 99.98: the buy's horizon
    assert est.adverse.observations == 1 and est.kelly.observations == 1
    assert est.adverse.adverse_rate == 1.0  # 2 bps against the buy
    est.handle(make_book(T0 + 6 * SEC, bid=99.97, ask=99.99))
    assert est.adverse.observations == 2 and est.adverse.adverse_rate == 0.5  # good for the sell
    (last,) = est.handle(make_book(T0 + 7 * SEC, bid=99.97, ask=99.99))
    assert isinstance(last, Estimates)
    assert last.kappa_own_obs == 2 and last.adverse_obs == 2 and last.kelly_obs == 2
    assert last.cal_progress > 0.0 and last.cal_gamma > EstimatorsSection().cal_gamma_start


def test_quote_levels_become_fill_rate_outcomes() -> None:
    est = actor(fill_horizon_s=30.0)
    est.handle(make_book(T0, bid=99.99, ask=100.01))
    for oid, side, px in ((1, "buy", 99.98), (2, "sell", 100.05), (3, "buy", 99.5), (4, "sell", 100.2)):
        est.handle(PlaceOrder(ts=T0, oid=oid, side=side, px=px, sz=0.1, level=0, cycle=1))  # type: ignore[arg-type]
    est.handle(fill(T0 + SEC, 1, "buy", 99.98, sz=0.05, remaining=0.05))  # partly filled: filled
    est.handle(fill(T0 + 2 * SEC, 1, "buy", 99.98))  # the rest: already counted
    est.handle(OrderCanceled(ts=T0 + SEC, oid=2, reason="canceled", remaining=0.1))
    est.handle(OrderRejected(ts=T0, oid=3, reason="post_only_would_cross"))  # never rested
    est.handle(OrderCanceled(ts=T0 + 400 * SEC, oid=4, reason="expired", remaining=0.1))
    curve = est.fill_rate
    assert curve.observations == 3
    assert curve.snapshot().fills == tuple(1 if i == 2 else 0 for i in range(len(curve.snapshot().fills)))


def test_the_same_events_give_the_same_estimates() -> None:
    def run() -> list[bytes]:
        est = actor()
        out: list[bytes] = []
        for i in range(300):
            ts = T0 + i * 250 * MS
            mid = 100.0 + 0.01 * math.sin(i / 7)
            if i % 2 == 0:
                out += [
                    encode(e)
                    for e in est.handle(make_book(ts, bid=round(mid - 0.01, 2), ask=round(mid + 0.01, 2)))
                ]
            else:
                est.handle(make_trade(ts, px=round(mid + (0.03 if i % 3 else -0.03), 2), sz=0.1 + i % 5,
                                      side="B" if i % 3 else "A", tid=i))  # fmt: skip
            if i % 40 == 5:
                est.handle(fill(ts, i, "buy" if i % 80 == 5 else "sell", round(mid, 2), mid=mid))
        return out

    assert run() == run()


prices = st.one_of(st.floats(min_value=1.0, max_value=1e6), st.sampled_from([math.nan, math.inf, -1.0, 0.0]))
sizes = st.one_of(st.floats(min_value=1e-6, max_value=1e4), st.sampled_from([math.nan, math.inf, -2.0, 0.0]))
market = st.lists(
    st.tuples(st.integers(0, 3 * SEC), st.sampled_from(["book", "bbo", "trade", "fill", "place", "cancel"]),
              prices, sizes, st.booleans()),
    max_size=80,
)  # fmt: skip


@settings(max_examples=60)
@given(market)
def test_bad_inputs_never_break_it_and_every_estimate_stays_finite(
    steps: list[tuple[int, str, float, float, bool]],
) -> None:
    est = actor()
    ts = T0
    for gap, kind, px, sz, flag in steps:
        ts += gap
        event: Event
        if kind == "book":
            event = BookSnapshot(
                ts=ts, coin="BTC", bid_px=(px,), bid_sz=(sz,), ask_px=(px * 1.0001,), ask_sz=(sz,)
            )
        elif kind == "bbo":
            event = Bbo(ts=ts, coin="BTC", bid_px=px, bid_sz=sz, ask_px=px * 1.0001, ask_sz=sz)
        elif kind == "trade":
            event = Trade(ts=ts, coin="BTC", px=px, sz=sz, side="B" if flag else "A", tid=gap)
        elif kind == "fill":
            event = fill(ts, gap, "buy" if flag else "sell", px, mid=px * 1.0002, sz=sz)
        elif kind == "place":
            event = PlaceOrder(ts=ts, oid=gap, side="buy" if flag else "sell", px=px, sz=sz, level=0, cycle=1)
        else:
            event = OrderCanceled(ts=ts, oid=gap, reason="canceled", remaining=sz)
        for out in est.handle(event):
            assert isinstance(out, Estimates)
            for name in out.__struct_fields__:
                value = getattr(out, name)
                values = value if isinstance(value, tuple) else (value,)
                assert all(math.isfinite(v) for v in values if isinstance(v, float)), name
            assert sum(out.regime_probs) == pytest.approx(1.0)
            assert 0.0 <= out.kappa_confidence < 1.0 and out.kappa > 0.0 and out.sigma > 0.0
    msgspec.json.encode(est.summary())  # plain data, NaN-free


def test_summary_is_plain_data_with_value_confidence_and_observations() -> None:
    est = actor()
    for i in range(30):
        est.handle(make_book(T0 + i * SEC, bid=99.99 + 0.01 * (i % 3), ask=100.01 + 0.01 * (i % 3)))
        est.handle(make_trade(T0 + i * SEC + 1, px=100.04, sz=0.2, side="B", tid=i))
    summary = est.summary()
    decoded = msgspec.json.decode(msgspec.json.encode(summary))
    assert decoded == summary
    for key in ("sigma", "kappa", "kappa_own", "kappa_market", "kappa_bid", "kappa_ask", "adverse_selection",
                "regime", "fill_rate", "kelly", "calibration", "warmup"):  # fmt: skip
        assert {"value", "confidence", "observations"} <= set(summary[key]), key
    # As of the last quote cycle: the trade after the last book waits for the next one.
    assert summary["kappa_market"]["observations"] == 29
    assert summary["estimates_emitted"] == 30


def test_snapshot_round_trips_through_json_and_restores() -> None:
    est = actor()
    for i in range(400):
        est.handle(make_book(T0 + i * 500 * MS, bid=99.99 + 0.01 * (i % 4), ask=100.01 + 0.01 * (i % 4)))
        est.handle(make_trade(T0 + i * 500 * MS + 1, px=100.05, sz=0.2, side="A" if i % 2 else "B", tid=i))
        if i % 50 == 1:
            est.handle(fill(T0 + i * 500 * MS + 2, i, "buy", 99.97))
    state = est.snapshot()
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=EstimatorsSnapshot)
    assert decoded == state
    other = actor()
    other.restore(decoded)
    assert other.snapshot() == state
    assert other.summary()["kappa_own"] == est.summary()["kappa_own"]


def test_quote_engine_uses_cal_gamma_and_the_warmup_floor() -> None:
    qe = QuoteEngine(QuoteSection(gamma=0.3, kappa_prior=500.0, observe_s=0.0), FEES, "BTC")
    first = qe.handle(make_book(T0, bid=99.99, ask=100.01))[0]
    assert isinstance(first, QuoteCycle) and (first.gamma, first.kappa) == (0.3, 500.0)  # priors
    common = dict(sigma=1e-4, sigma_obs=100, kappa_confidence=0.5, kappa_obs=10, adverse_selection_bps=0.0,
                  regime="normal", regime_probs=(0.0, 1.0, 0.0, 0.0), fill_rate=(), warmup=0.2)  # fmt: skip
    qe.handle(Estimates(ts=T0 + 1, kappa=1000.0, cal_gamma=0.5, kappa_floor=4000.0, **common))  # type: ignore[arg-type]
    second = qe.handle(make_book(T0 + SEC, bid=99.99, ask=100.01))[0]
    assert isinstance(second, QuoteCycle)
    assert second.gamma == pytest.approx(0.15) and second.kappa == 4000.0  # the floor binds
    qe.handle(Estimates(ts=T0 + SEC + 1, kappa=1000.0, cal_gamma=1.0, kappa_floor=0.0, **common))  # type: ignore[arg-type]
    third = qe.handle(make_book(T0 + 2 * SEC, bid=99.99, ask=100.01))[0]
    assert isinstance(third, QuoteCycle)
    assert third.gamma == pytest.approx(0.3) and third.kappa == 1000.0  # lifted


def prior_injected(ts: int) -> PriorInjected:
    return PriorInjected(
        ts=ts, source="prior.json", digest="", content_digest="", asset="BTC", verdict="Ready", defensive=False,
        spread_factor=1.0, size_factor=1.0, learned_s=600.0, sessions=1, components=(), state={},
    )  # fmt: skip


def trained(seconds: int = 300) -> EstimatorsActor:
    """An actor after some market and fills (own fills, markouts, a warmup under way)."""
    est = actor(markout_horizon_s=1.0, warmup_fills=1000, warmup_floor_obs=1000)
    for i in range(seconds * 2):
        ts = T0 + i * 500 * MS
        mid = 100.0 + 0.05 * math.sin(i / 11)
        est.handle(make_book(ts, bid=round(mid - 0.01, 2), ask=round(mid + 0.01, 2)))
        est.handle(make_trade(ts + 1, px=round(mid + (0.02 if i % 3 else -0.02), 2), sz=0.1 + i % 4,
                              side="B" if i % 3 else "A", tid=i))  # fmt: skip
        if i % 25 == 3:
            est.handle(fill(ts + 2, i, "buy" if i % 50 == 3 else "sell", round(mid, 2), mid=mid))
    return est


steps = st.lists(
    st.tuples(st.integers(0, 1500), st.sampled_from(["book", "trade", "fill", "look"]), st.integers(-2, 2)),
    max_size=120,
)


@settings(max_examples=40)
@given(steps)
def test_a_look_changes_nothing_and_a_cycle_says_what_a_look_right_after_it_sees(
    events: list[tuple[int, str, int]],
) -> None:
    looked = actor(markout_horizon_s=1.0)
    plain = actor(markout_horizon_s=1.0)
    ts = T0
    mid = 100.0
    for i, (gap_ms, kind, move) in enumerate(events):
        ts += gap_ms * MS
        event: Event
        if kind == "look":
            before = looked.snapshot()
            assert looked.estimates(ts) == looked.estimates(ts)
            assert looked.snapshot() == before
            continue
        if kind == "book":
            mid = round(mid + 0.01 * move, 2)
            event = make_book(ts, bid=round(mid - 0.01, 2), ask=round(mid + 0.01, 2))
        elif kind == "trade":
            event = make_trade(
                ts, px=round(mid + 0.01 * move, 2), sz=0.5, side="A" if move < 0 else "B", tid=i
            )
        else:
            event = fill(ts, i, "buy" if move < 0 else "sell", round(mid + 0.01 * move, 2), mid=mid)
        out = looked.handle(event)
        assert [encode(e) for e in out] == [encode(e) for e in plain.handle(event)]
        for e in estimates_of(out):
            assert looked.estimates(e.ts) == e
    assert looked.snapshot() == plain.snapshot()


def test_a_warm_start_is_answered_with_a_look_that_leaves_the_learned_state_as_injected() -> None:
    prior = trained().snapshot()
    start = T0 + 3600 * SEC  # an hour after the prior's last cycle: the warmup's clock runs
    est = actor(markout_horizon_s=1.0, warmup_fills=1000, warmup_floor_obs=1000)
    est.restore(prior)
    (answer,) = est.handle(prior_injected(start))
    assert est.snapshot() == prior and est.last == answer
    # What a full cycle of a twin would have said at that time.
    twin = actor(markout_horizon_s=1.0, warmup_fills=1000, warmup_floor_obs=1000)
    twin.restore(prior)
    assert encode(twin._emit(start)) == encode(answer)
    assert twin.snapshot() != prior  # (the cycle stepped the warmup: the look did not)
    assert answer.kappa_own_obs == prior.kappa_own.observations > 0 and answer.adverse_obs > 0
    # It counts as an emission: the next one is a quote interval later.
    assert est.handle(make_book(start + 500 * MS)) == ()
    (nxt,) = est.handle(make_book(start + SEC))
    assert isinstance(nxt, Estimates) and est.summary()["estimates_emitted"] == 2


def test_the_snapshot_struct_is_one_class_wherever_it_is_imported_from() -> None:
    from actors.estimators.snapshot import EstimatorsSnapshot as from_the_actor

    assert EstimatorsSnapshot is from_the_actor is snapshot_module.EstimatorsSnapshot


def test_taker_flow_halves_over_its_half_life_then_adds_the_cycle() -> None:
    flow = TakerFlow(math.log(2.0) / 10.0)
    assert flow.imbalance(0.0, 0.0) == 0.0 and flow.rate == 0.0  # nothing seen yet
    flow.add_cycle(0.0, 300.0, 100.0, 4)
    assert flow.imbalance(0.0, 0.0) == pytest.approx(0.5)
    assert flow.imbalance(0.0, 200.0) == pytest.approx(0.0)  # the cycle's trades count before they are added
    flow.add_cycle(10.0, 0.0, 50.0, 1)
    assert (flow.buy, flow.sell) == pytest.approx((150.0, 100.0))
    assert flow.rate == pytest.approx(3.0 / 10.0)  # 2 + 1 trades over 0 + 10 s


def test_book_imbalance_reads_the_top_levels_or_the_bbo() -> None:
    book = make_book(T0, bid=99.99, ask=100.01, size=1.0)
    assert book_imbalance(book, 3) == 0.0 and book_imbalance(None, 3) == 0.0
    bbo = Bbo(ts=T0, coin="BTC", bid_px=99.99, bid_sz=3.0, ask_px=100.01, ask_sz=1.0)
    assert book_imbalance(bbo, 3) == pytest.approx(0.5)
    empty = Bbo(ts=T0, coin="BTC", bid_px=0.0, bid_sz=0.0, ask_px=0.0, ask_sz=0.0)
    assert book_imbalance(empty, 3) == 0.0


def test_vol_ratio_is_one_until_both_volatilities_are_known() -> None:
    slow, fast = Volatility(300.0, 0.0, 60.0), Volatility(30.0, 0.0, 60.0)
    assert vol_ratio(slow, fast) == 1.0
    for i, mid in enumerate([100.0, 100.1, 99.9, 100.2, 99.8]):
        slow.update(T0 + i * SEC, mid)
        fast.update(T0 + i * SEC, mid)
    assert slow.value > 0.0 and vol_ratio(slow, fast) == fast.value / slow.value
