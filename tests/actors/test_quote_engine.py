"""The ladder (actors.ladder) and the quote engine actor built on it, with its parts:
our orders (actors.quote_orders), the pricing (actors.quote_pricing), the observation
window (actors.observation_window) and the quoted-spread record (actors.quote_statistics)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.base import NOTHING, Actor
from actors.config import FeesSection, QuoteSection
from actors.glft import GlftQuote, glft_quote
from actors.ladder import Limits, Touch, base_size, build_ladder, fill_probability, within_limits
from actors.observation_window import ObservationWindow
from actors.quote_engine import QuoteEngine
from actors.quote_orders import OwnOrders
from actors.quote_pricing import QuotePricing
from actors.quote_statistics import QuotedSpreads
from actors.ticks import is_valid_price, round_ask, round_bid, tick_size
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Estimates,
    Event,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    PriorInjected,
    QuoteCycle,
    QuoteLevel,
)
from events.risk import ObservingMarket, QuoteSuppressed, QuotingResumed
from tests.conftest import MS, SEC, T0, make_book

FEES = FeesSection()


def quote_cfg(**overrides: Any) -> QuoteSection:
    """Test settings: 2 size decimals (tick 0.01 around 100), limits out of the way, and
    GLFT's spread unbounded (the spread profiles have their own tests)."""
    settings: dict[str, Any] = {"sz_decimals": 2, "levels": 3, "max_position": 100.0, "spread_profile": "glft",
                                "observe_s": 0.0}  # fmt: skip
    settings.update(overrides)
    return QuoteSection(**settings)


def quote(half_spread: float = 0.002, skew: float = 0.0) -> GlftQuote:
    return GlftQuote(half_spread=half_spread, skew=skew, c1=half_spread, c2=0.0)


def ladder(
    cfg: QuoteSection,
    touch: Touch,
    q: GlftQuote,
    *,
    inventory_lots: float = 0.0,
    kappa: float = 500.0,
) -> tuple[QuoteLevel, ...]:
    szd = cfg.sz_decimals
    return build_ladder(
        cfg,
        touch,
        q,
        inventory_lots=inventory_lots,
        lot_size=base_size(cfg, touch.mid, szd),
        kappa=kappa,
        sz_decimals=szd,
    )


def sides(levels: Sequence[QuoteLevel]) -> tuple[list[QuoteLevel], list[QuoteLevel]]:
    return [lv for lv in levels if lv.side == "buy"], [lv for lv in levels if lv.side == "sell"]


# -- the ladder -------------------------------------------------------------------------------


def test_levels_are_geometrically_spaced_and_sized() -> None:
    # Around 9.5 with 0 size decimals the tick is 0.0001 (~0.1 bps), fine enough to see
    # the spacing through the rounding.
    cfg = quote_cfg(sz_decimals=0, levels=4, level_spacing=1.5, size_ratio=2.0, order_notional_usd=95.0)
    touch = Touch(mid=9.5, best_bid=9.4999, best_ask=9.5001)
    q = quote(half_spread=0.002, skew=0.0001)
    bids, asks = sides(ladder(cfg, touch, q, inventory_lots=2.0))
    assert [lv.level for lv in bids] == [0, 1, 2, 3] == [lv.level for lv in asks]
    assert [lv.sz for lv in bids] == [10.0, 20.0, 40.0, 80.0] == [lv.sz for lv in asks]
    tol = 1e-4 / 9.5  # one tick, as a fraction of mid
    for i, (bid, ask) in enumerate(zip(bids, asks, strict=True)):
        # depth_i = half_spread * spacing**i, shifted by skew * q (long: both sides down).
        assert (9.5 - bid.px) / 9.5 == pytest.approx(0.002 * 1.5**i + 0.0001 * 2.0, abs=tol)
        assert (ask.px - 9.5) / 9.5 == pytest.approx(0.002 * 1.5**i - 0.0001 * 2.0, abs=tol)
        # ... so each level is half_spread * (spacing**i - 1) behind level 0.
        assert (bids[0].px - bid.px) / 9.5 == pytest.approx(0.002 * (1.5**i - 1), abs=2 * tol)
        assert bid.px == round_bid(bid.px, 0) and ask.px == round_ask(ask.px, 0)


def test_level_carries_depth_and_model_fill_probability() -> None:
    cfg = quote_cfg()
    touch = Touch(mid=100.0, best_bid=99.99, best_ask=100.01)
    levels = ladder(cfg, touch, quote(half_spread=0.002), kappa=500.0)
    bid0 = levels[0]
    assert bid0.px == 99.8
    assert bid0.depth_bps == pytest.approx(20.0)
    assert bid0.p_fill == pytest.approx(math.exp(-500.0 * 0.002))
    for lv in levels:
        assert lv.p_fill == pytest.approx(math.exp(-500.0 * lv.depth_bps / 1e4))
    assert all(a.p_fill > b.p_fill for a, b in zip(levels[:2], levels[1:3], strict=True))
    assert fill_probability(500.0, -0.001) == 1.0  # through mid: predicted to fill


def test_crossing_level_rests_one_tick_behind_the_opposite_touch() -> None:
    cfg = quote_cfg()
    touch = Touch(mid=100.0, best_bid=99.9, best_ask=100.1)
    # Very long: the skew pulls every ask below the best bid.
    bids, asks = sides(ladder(cfg, touch, quote(half_spread=0.002, skew=0.001), inventory_lots=10.0))
    # Below 100 a 2-size-decimal coin has 3 price decimals: one tick above 99.9 is 99.901.
    assert asks[0].px == round_ask(99.9 + tick_size(99.9, 2), 2) == 99.901
    assert all(a.px > touch.best_bid for a in asks)
    # Very short: the bids go up against the best ask.
    bids, asks = sides(ladder(cfg, touch, quote(half_spread=0.002, skew=0.001), inventory_lots=-10.0))
    assert bids[0].px == 100.09  # above 100, 2 decimals
    assert all(b.px < touch.best_ask for b in bids)


def test_levels_under_the_minimum_notional_are_dropped() -> None:
    # Level 0 is 0.08 contracts at ~100 = $8 < $10; levels 1 and 2 (0.16, 0.32) stay.
    cfg = quote_cfg(order_notional_usd=8.0, size_ratio=2.0, min_notional_usd=10.0)
    levels = ladder(cfg, Touch(mid=100.0, best_bid=99.99, best_ask=100.01), quote())
    assert [(lv.side, lv.level, lv.sz) for lv in levels] == [
        ("buy", 1, 0.16),
        ("buy", 2, 0.32),
        ("sell", 1, 0.16),
        ("sell", 2, 0.32),
    ]
    assert all(lv.px * lv.sz >= 10.0 for lv in levels)


def test_a_size_that_floors_to_zero_gives_no_levels() -> None:
    cfg = quote_cfg(order_notional_usd=0.5, min_notional_usd=0.0)
    assert base_size(cfg, 100.0, 2) == 0.0
    assert ladder(cfg, Touch(mid=100.0, best_bid=99.99, best_ask=100.01), quote()) == ()


@given(
    mid=st.floats(0.01, 200_000.0),
    spread=st.floats(0.0, 0.01),
    half_spread=st.floats(-0.001, 0.02),
    skew=st.floats(0.0, 0.01),
    inventory=st.floats(-50.0, 50.0),
    sz_decimals=st.integers(0, 5),
    levels=st.integers(1, 6),
    spacing=st.floats(1.0, 3.0),
)
def test_ladder_never_crosses_the_book_or_itself(
    mid: float,
    spread: float,
    half_spread: float,
    skew: float,
    inventory: float,
    sz_decimals: int,
    levels: int,
    spacing: float,
) -> None:
    best_bid = round_bid(mid * (1 - spread / 2), sz_decimals)
    best_ask = round_ask(mid * (1 + spread / 2), sz_decimals)
    if best_bid <= 0.0:
        return
    touch = Touch(mid=0.5 * (best_bid + best_ask), best_bid=best_bid, best_ask=best_ask)
    cfg = quote_cfg(
        sz_decimals=sz_decimals,
        levels=levels,
        level_spacing=spacing,
        order_notional_usd=1000.0,
        min_notional_usd=0.0,
    )
    bids, asks = sides(ladder(cfg, touch, quote(half_spread, skew), inventory_lots=inventory))
    for lv in (*bids, *asks):
        assert lv.sz > 0.0 and lv.px > 0.0
        assert is_valid_price(lv.px, sz_decimals)
    assert all(b.px < best_ask for b in bids)
    assert all(a.px > best_bid for a in asks)
    if bids and asks:
        assert max(b.px for b in bids) < min(a.px for a in asks)
    # Best first on each side.
    assert [b.px for b in bids] == sorted((b.px for b in bids), reverse=True)
    assert [a.px for a in asks] == sorted(a.px for a in asks)


def _levels(side: str, *sizes: float) -> list[QuoteLevel]:
    return [
        QuoteLevel(side=side, level=i, px=100.0, sz=sz, depth_bps=1.0, p_fill=0.5)  # type: ignore[arg-type]
        for i, sz in enumerate(sizes)
    ]


def _admit(
    levels: Sequence[QuoteLevel],
    *,
    resting: Sequence[bool] | None = None,
    position: float = 0.0,
    max_position: float = 1.0,
    max_notional: float = 1e9,
    committed_buy: float = 0.0,
    committed_sell: float = 0.0,
) -> list[tuple[str, int]]:
    mask = within_limits(
        levels,
        resting if resting is not None else [False] * len(levels),
        limits=Limits(max_position=max_position, max_notional_usd=max_notional),
        position=position,
        mid=100.0,
        committed_buy=committed_buy,
        committed_sell=committed_sell,
    )
    return [(lv.side, lv.level) for lv, ok in zip(levels, mask, strict=True) if ok]


def test_limits_drop_whole_levels_and_smaller_later_ones_may_fit() -> None:
    assert _admit(_levels("buy", 0.4, 0.4, 0.4)) == [("buy", 0), ("buy", 1)]
    # 0.6 fits, 0.6 + 0.5 does not (dropped, not clipped), 0.6 + 0.3 does.
    assert _admit(_levels("buy", 0.6, 0.5, 0.3)) == [("buy", 0), ("buy", 2)]
    # Exactly at the limit is allowed.
    assert _admit(_levels("sell", 0.5, 0.5)) == [("sell", 0), ("sell", 1)]


def test_limits_use_the_position_in_each_sides_direction() -> None:
    both = _levels("buy", 0.2, 0.2) + _levels("sell", 0.5, 0.5, 0.5)
    # Long 0.7: buys may add 0.3 at most; sells may go to 1.7 (unwind, then 1.0 short).
    assert _admit(both, position=0.7) == [("buy", 0), ("sell", 0), ("sell", 1), ("sell", 2)]
    # Over the limit already (long 1.2): no buys, but the position can still be unwound.
    assert _admit(both, position=1.2) == [("sell", 0), ("sell", 1), ("sell", 2)]


def test_limits_count_committed_orders_and_keep_resting_levels() -> None:
    buys = _levels("buy", 0.4, 0.4, 0.4)
    # 0.5 still committed (e.g. pending cancels): only one new 0.4 fits.
    assert _admit(buys, committed_buy=0.5) == [("buy", 0)]
    # Level 0 already rests (its 0.4 is in the committed 0.9): kept, costs nothing more.
    assert _admit(buys, resting=[True, False, False], committed_buy=0.9) == [("buy", 0)]


def test_limits_cap_notional_at_balance_times_leverage() -> None:
    # $100 cap at mid 100 is 1 contract, tighter than max_position 5.
    assert _admit(_levels("buy", 0.6, 0.6), max_position=5.0, max_notional=100.0) == [("buy", 0)]
    assert Limits.from_config(quote_cfg(paper_balance_usd=1000.0, leverage=10.0)).max_notional_usd == 10_000.0


# -- the quote engine -----------------------------------------------------------------------------
#
# Books around mid 50 with 2 size decimals: every ladder price lies in [10, 100), where
# the tick is 0.001 (0.2 bps), and the level-0 size is $50 / 50 = 1.0.


def engine(**overrides: Any) -> QuoteEngine:
    return QuoteEngine(quote_cfg(**overrides), FEES, "TEST")


def book(ts: int, mid: float = 50.0, size: float = 1.0) -> BookSnapshot:
    return make_book(ts=ts, bid=round(mid - 0.01, 6), ask=round(mid + 0.01, 6), size=size, coin="TEST")


def of_type(events: Sequence[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def fill(oid: int, side: str, sz: float, remaining: float, ts: int = T0 + 100 * MS) -> Fill:
    return Fill(
        ts=ts, oid=oid, side=side, px=50.0, sz=sz, remaining=remaining, level=0,  # type: ignore[arg-type]
        mid=50.0, tid=1, trade_px=50.0, trade_sz=sz, trade_side="A", touch_probability=0.3,
        price_factor=1.0, size_factor=1.0, queue_factor=1.0, age_factor=1.0, aggressor_factor=1.0,
        queue_ahead=0.0, probability=0.3, draw=0.1,
    )  # fmt: skip


def estimates(sigma: float, kappa: float, ts: int = T0 + 100 * MS) -> Estimates:
    return Estimates(
        ts=ts, sigma=sigma, sigma_obs=10, kappa=kappa, kappa_confidence=0.5, kappa_obs=10,
        adverse_selection_bps=0.0, regime="normal", regime_probs=(1.0,), fill_rate=(), warmup=1.0,
    )  # fmt: skip


def test_is_an_actor() -> None:
    qe: Actor = engine()
    assert qe.name == "quote_engine"
    assert set(qe.consumes) >= {
        BookSnapshot,
        Bbo,
        Estimates,
        Fill,
        OrderAccepted,
        OrderRejected,
        OrderCanceled,
    }


def test_first_book_emits_cycle_then_the_ladder_bids_best_first() -> None:
    out = engine().handle(book(T0))
    cycle, *places = out
    assert isinstance(cycle, QuoteCycle)
    assert cycle.cycle == 1 and cycle.ts == T0 and cycle.mid == 50.0 and cycle.position == 0.0
    assert all(isinstance(p, PlaceOrder) for p in places)
    assert [p.oid for p in places] == [1, 2, 3, 4, 5, 6]
    assert [(p.side, p.level) for p in places] == [
        ("buy", 0), ("buy", 1), ("buy", 2), ("sell", 0), ("sell", 1), ("sell", 2),
    ]  # fmt: skip
    assert [(p.px, p.sz) for p in places] == [(lv.px, lv.sz) for lv in cycle.levels]
    glft = glft_quote(gamma=0.3, arrival_a=1.0, delta=1.0, sigma=2e-4, kappa=500.0, maker_fee=FEES.maker)
    assert cycle.half_spread_bps == pytest.approx(glft.half_spread * 1e4)
    assert cycle.skew_bps == pytest.approx(glft.skew * 1e4)
    # Flat: level i at mid * (1 -/+ half_spread * 1.5**i), bids down and asks up to 0.001.
    hs = glft.half_spread
    assert [p.px for p in places] == [round_bid(50 * (1 - hs * 1.5**i), 2) for i in range(3)] + [
        round_ask(50 * (1 + hs * 1.5**i), 2) for i in range(3)
    ]
    assert [p.px for p in places] == [49.892, 49.838, 49.757, 50.108, 50.162, 50.243]
    assert all(p.cycle == 1 and p.ts == T0 and p.sz == 1.0 for p in places)


def test_priors_are_used_until_usable_estimates_arrive() -> None:
    qe = engine(sigma_prior=0.0003, kappa_prior=700.0)
    first = qe.handle(book(T0))[0]
    assert (first.sigma, first.kappa) == (0.0003, 700.0)
    # Estimates do not trigger a cycle by themselves.
    assert qe.handle(estimates(0.0005, 900.0)) is NOTHING
    second = qe.handle(book(T0 + SEC))[0]
    assert (second.sigma, second.kappa) == (0.0005, 900.0)
    # Unusable values are ignored one by one: sigma 0 keeps 0.0005, kappa NaN keeps 900.
    qe.handle(estimates(0.0, math.nan, ts=T0 + 1500 * MS))
    third = qe.handle(book(T0 + 2 * SEC))[0]
    assert (third.sigma, third.kappa) == (0.0005, 900.0)
    qe.handle(estimates(0.0004, math.inf, ts=T0 + 2500 * MS))
    fourth = qe.handle(book(T0 + 3 * SEC))[0]
    assert (fourth.sigma, fourth.kappa) == (0.0004, 900.0)
    assert second.half_spread_bps != first.half_spread_bps


def test_min_requote_interval_is_respected_in_event_time() -> None:
    qe = engine(min_requote_interval_ms=1000.0)
    assert qe.handle(book(T0))
    assert qe.handle(book(T0 + 500 * MS, mid=49.5)) is NOTHING
    bbo = Bbo(ts=T0 + 999 * MS, coin="TEST", bid_px=48.99, bid_sz=1.0, ask_px=49.01, ask_sz=1.0)
    assert qe.handle(bbo) is NOTHING
    out = qe.handle(book(T0 + 1000 * MS, mid=49.5))
    assert isinstance(out[0], QuoteCycle) and out[0].cycle == 2 and out[0].mid == 49.5
    assert qe.statistics().books_throttled == 2


def test_zero_interval_requotes_on_every_book() -> None:
    qe = engine(min_requote_interval_ms=0.0)
    assert [qe.handle(book(T0))[0].cycle, qe.handle(book(T0))[0].cycle] == [1, 2]


def test_bbo_requotes_like_a_book() -> None:
    out = engine().handle(Bbo(ts=T0, coin="TEST", bid_px=49.99, bid_sz=1.0, ask_px=50.01, ask_sz=1.0))
    assert out == engine().handle(book(T0))


def test_identical_book_sends_no_orders() -> None:
    qe = engine()
    qe.handle(book(T0))
    out = qe.handle(book(T0 + SEC))
    assert len(out) == 1 and isinstance(out[0], QuoteCycle) and out[0].cycle == 2
    # A different book whose ladder rounds to the same prices and sizes is no change
    # either (above 50 the $50 level would floor to 0.99 and change every size).
    out = qe.handle(book(T0 + 2 * SEC, mid=49.9999, size=7.0))
    assert len(out) == 1 and out[0].mid != 50.0


def test_only_changed_levels_are_replaced_cancels_first() -> None:
    qe = engine(requote_tolerance_bps=0.0)
    qe.handle(book(T0))
    # Mid 50 -> 49.9995 moves bid level 0 (49.892 -> 49.891) and ask levels 1 and 2
    # (50.162 -> 50.161, 50.243 -> 50.242); the other levels round to the same prices.
    out = qe.handle(book(T0 + SEC, mid=49.9995))
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["QuoteCycle"] + ["CancelOrder"] * 3 + ["PlaceOrder"] * 3
    assert [c.oid for c in of_type(out, CancelOrder)] == [1, 5, 6]
    assert [(p.oid, p.side, p.level, p.px) for p in of_type(out, PlaceOrder)] == [
        (7, "buy", 0, 49.891),
        (8, "sell", 1, 50.161),
        (9, "sell", 2, 50.242),
    ]


def test_within_the_requote_tolerance_orders_are_kept_at_their_prices() -> None:
    """The same 0.1 bps move with a 1 bps tolerance: every order stays, and the cycle
    quotes the kept prices (depth and predicted fill probability follow them)."""
    qe = engine(requote_tolerance_bps=1.0)
    first = of_type(qe.handle(book(T0)), PlaceOrder)
    out = qe.handle(book(T0 + SEC, mid=49.9995))
    (q,) = out
    assert isinstance(q, QuoteCycle) and q.oids == (1, 2, 3, 4, 5, 6)
    assert [lv.px for lv in q.levels] == [p.px for p in first]
    bid0 = q.levels[0]
    assert bid0.depth_bps == pytest.approx((49.9995 - bid0.px) / 49.9995 * 1e4)
    assert bid0.p_fill == pytest.approx(fill_probability(q.kappa, bid0.depth_bps / 1e4))


def test_beyond_the_requote_tolerance_orders_are_replaced() -> None:
    qe = engine(requote_tolerance_bps=1.0)
    qe.handle(book(T0))
    out = qe.handle(book(T0 + SEC, mid=50.05))  # 10 bps: every level moves by more than 1 bps
    (q,) = of_type(out, QuoteCycle)
    assert len(of_type(out, CancelOrder)) == 6 and q.oids == (7, 8, 9, 10, 11, 12)
    assert [p.oid for p in of_type(out, PlaceOrder)] == list(q.oids)


def test_a_cycle_names_kept_and_placed_orders_level_by_level() -> None:
    qe = engine(requote_tolerance_bps=0.0)
    qe.handle(book(T0))
    out = qe.handle(book(T0 + SEC, mid=49.9995))
    (q,) = of_type(out, QuoteCycle)
    # Bid level 0 and ask levels 1 and 2 are replaced by orders 7, 8 and 9.
    assert q.oids == (7, 2, 3, 4, 8, 9)
    placed = {p.oid: p for p in of_type(out, PlaceOrder)}
    for lv, oid in zip(q.levels, q.oids, strict=True):
        if oid in placed:
            assert (placed[oid].side, placed[oid].level, placed[oid].px) == (lv.side, lv.level, lv.px)


def test_moved_book_cancels_everything_best_first_then_places() -> None:
    qe = engine()
    qe.handle(book(T0))
    out = qe.handle(book(T0 + SEC, mid=50.5))
    kinds = [type(e).__name__ for e in out]
    assert kinds == ["QuoteCycle"] + ["CancelOrder"] * 6 + ["PlaceOrder"] * 6
    # Bids best (highest) first, then asks best (lowest) first: oids 1-3, then 4-6.
    assert [c.oid for c in of_type(out, CancelOrder)] == [1, 2, 3, 4, 5, 6]
    places = of_type(out, PlaceOrder)
    assert [p.oid for p in places] == [7, 8, 9, 10, 11, 12]
    assert [p.side for p in places] == ["buy"] * 3 + ["sell"] * 3
    assert [p.px for p in places[:3]] == sorted((p.px for p in places[:3]), reverse=True)
    assert [p.px for p in places[3:]] == sorted(p.px for p in places[3:])


def test_partial_fill_keeps_the_order_and_full_fill_replaces_its_level() -> None:
    # A negligible sigma takes the inventory skew out, so only the fills matter here.
    qe = engine(sigma_prior=1e-12)
    qe.handle(book(T0))
    qe.handle(fill(1, "buy", 0.4, remaining=0.6))
    snap = qe.snapshot()
    assert snap["position"] == pytest.approx(0.4)
    assert next(o for o in snap["orders"] if o["oid"] == 1)["remaining"] == 0.6
    # Still live at its price and placed size: nothing to do, and its queue place is kept.
    assert len(qe.handle(book(T0 + SEC))) == 1
    qe.handle(fill(1, "buy", 0.6, remaining=0.0, ts=T0 + 1100 * MS))
    out = qe.handle(book(T0 + 2 * SEC))
    assert out[0].position == pytest.approx(1.0)
    assert of_type(out, CancelOrder) == []
    [place] = of_type(out, PlaceOrder)
    assert (place.oid, place.side, place.level, place.px) == (7, "buy", 0, 49.892)


def test_long_position_lowers_both_sides_of_the_ladder() -> None:
    # sigma 0.01 makes the skew ~2.9 bps per lot, far above the 0.2 bps tick.
    flat = engine(sigma_prior=0.01).handle(book(T0))[0]
    qe = engine(sigma_prior=0.01)
    qe.handle(fill(99, "buy", 1.5, remaining=0.0))  # an unknown order's fill still counts
    long = qe.handle(book(T0 + SEC))[0]
    assert long.position == 1.5
    assert long.levels and len(long.levels) == len(flat.levels)
    for a, b in zip(flat.levels, long.levels, strict=True):
        assert b.px < a.px
    qe.handle(fill(98, "sell", 3.0, remaining=0.0, ts=T0 + 1500 * MS))
    short = qe.handle(book(T0 + 2 * SEC))[0]
    assert short.position == -1.5
    for a, b in zip(flat.levels, short.levels, strict=True):
        assert b.px > a.px


def test_rejected_and_canceled_orders_leave_and_are_replaced() -> None:
    qe = engine()
    qe.handle(book(T0))
    qe.handle(OrderAccepted(ts=T0 + 100 * MS, oid=1, rests_at=T0 + 100 * MS))
    qe.handle(OrderRejected(ts=T0 + 100 * MS, oid=2, reason="post only would cross"))
    qe.handle(OrderCanceled(ts=T0 + 200 * MS, oid=6, reason="expired", remaining=1.0))
    out = qe.handle(book(T0 + SEC))
    assert of_type(out, CancelOrder) == []
    assert [(p.oid, p.side, p.level) for p in of_type(out, PlaceOrder)] == [(7, "buy", 1), (8, "sell", 2)]
    stats = qe.statistics()
    assert (stats.accepted, stats.rejected, stats.canceled, stats.live_orders) == (1, 1, 1, 6)


def test_pending_cancels_count_toward_limits_until_confirmed() -> None:
    # 3 levels of 1.0 per side fill max_position 3.0 exactly.
    qe = engine(max_position=3.0)
    assert len(of_type(qe.handle(book(T0)), PlaceOrder)) == 6
    moved = qe.handle(book(T0 + SEC, mid=50.5))
    assert len(of_type(moved, CancelOrder)) == 6
    assert of_type(moved, PlaceOrder) == [] and moved[0].levels == ()
    assert qe.statistics().pending_cancels == 6
    # No longer live, so never cancelled twice.
    assert len(qe.handle(book(T0 + 2 * SEC, mid=50.5))) == 1
    # One confirmed cancel per side frees room for one level per side.
    qe.handle(OrderCanceled(ts=T0 + 2100 * MS, oid=1, reason="canceled", remaining=1.0))
    qe.handle(OrderCanceled(ts=T0 + 2100 * MS, oid=4, reason="canceled", remaining=1.0))
    out = qe.handle(book(T0 + 3 * SEC, mid=50.5))
    assert [(p.oid, p.side, p.level) for p in of_type(out, PlaceOrder)] == [(7, "buy", 0), (8, "sell", 0)]
    for oid in (2, 3, 5, 6):
        qe.handle(OrderCanceled(ts=T0 + 3100 * MS, oid=oid, reason="canceled", remaining=1.0))
    again = qe.handle(book(T0 + 4 * SEC, mid=50.5))
    assert [p.oid for p in of_type(again, PlaceOrder)] == [9, 10, 11, 12]


def test_position_over_the_limit_quotes_only_the_unwinding_side() -> None:
    qe = engine(max_position=1.0)
    qe.handle(fill(50, "buy", 1.2, remaining=0.0))
    out = qe.handle(book(T0))
    assert {p.side for p in of_type(out, PlaceOrder)} == {"sell"}


def test_unquotable_books_emit_nothing_and_do_not_use_up_the_interval() -> None:
    qe = engine()
    no_asks = BookSnapshot(ts=T0, coin="TEST", bid_px=(49.99,), bid_sz=(1.0,), ask_px=(), ask_sz=())
    assert qe.handle(no_asks) is NOTHING
    empty_bbo = Bbo(ts=T0, coin="TEST", bid_px=49.99, bid_sz=1.0, ask_px=0.0, ask_sz=0.0)
    assert qe.handle(empty_bbo) is NOTHING
    nan_bbo = Bbo(ts=T0, coin="TEST", bid_px=math.nan, bid_sz=1.0, ask_px=50.01, ask_sz=1.0)
    assert qe.handle(nan_bbo) is NOTHING
    inf_bbo = Bbo(ts=T0, coin="TEST", bid_px=49.99, bid_sz=1.0, ask_px=math.inf, ask_sz=1.0)
    assert qe.handle(inf_bbo) is NOTHING
    assert qe.statistics().books_unquotable == 4
    assert isinstance(qe.handle(book(T0))[0], QuoteCycle)


def test_same_inputs_give_the_same_outputs() -> None:
    inputs: list[Event] = [
        book(T0),
        fill(1, "buy", 1.0, remaining=0.0),
        estimates(0.001, 300.0),
        book(T0 + SEC, mid=50.2),
        OrderCanceled(ts=T0 + 1100 * MS, oid=2, reason="canceled", remaining=1.0),
        book(T0 + 2 * SEC, mid=49.7),
    ]
    runs = []
    for _ in range(2):
        qe = engine()
        runs.append([e for ev in inputs for e in qe.handle(ev)])
    assert runs[0] == runs[1]
    oids = [p.oid for p in of_type(runs[0], PlaceOrder)]
    assert oids == list(range(1, len(oids) + 1))


def test_snapshot_is_plain_data_and_statistics_count() -> None:
    qe = engine()
    qe.handle(book(T0))
    qe.handle(book(T0 + 10 * MS))
    snap = qe.snapshot()
    msgspec.json.encode(snap)  # plain data
    assert snap["cycle"] == 1 and snap["next_oid"] == 7 and snap["last_cycle_ts"] == T0
    assert [o["oid"] for o in snap["orders"]] == [1, 2, 3, 4, 5, 6]
    stats = qe.statistics()
    assert (stats.cycles, stats.orders_placed, stats.live_orders, stats.books_throttled) == (1, 6, 6, 1)
    assert engine().snapshot()["last_cycle_ts"] is None


def test_asset_size_decimals_come_from_the_asset_table() -> None:
    # BTC has 5 size decimals; at ~97,000 prices have 5 significant figures (integers).
    qe = QuoteEngine(QuoteSection(max_position=100.0, observe_s=0.0), FEES, "BTC")
    out = qe.handle(make_book(ts=T0, bid=97_412.0, ask=97_413.0, step=1.0))
    places = of_type(out, PlaceOrder)
    assert len(places) == 6 and all(p.px == round(p.px) for p in places)
    assert all(p.sz == 0.00051 for p in places)  # $50 / 97,412.5 floored to 5 decimals


# -- the engine's parts ------------------------------------------------------------------


def test_own_orders_cancel_best_first_bids_before_asks_and_stay_committed() -> None:
    orders = OwnOrders()
    placed = [orders.place(T0, side, px, 1.0, 0, 1) for side, px in  # type: ignore[arg-type]
              [("sell", 50.2), ("buy", 49.8), ("buy", 49.9), ("sell", 50.1), ("buy", 49.9)]]  # fmt: skip
    assert [p.oid for p in placed] == [1, 2, 3, 4, 5] and orders.next_oid == 6
    out = orders.cancel(T0, orders.live(), "requote")
    assert [c.oid for c in out] == [3, 5, 2, 4, 1]  # oid breaks the tie at 49.9
    assert orders.live() == [] and orders.pending_cancels == 5 and orders.cancels_sent == 5
    assert orders.committed() == (3.0, 2.0)  # cancels in flight can still fill
    orders.on_canceled(3)
    orders.on_fill(fill(1, "sell", 0.4, 0.6))
    assert orders.committed() == (2.0, 1.6) and (orders.canceled, orders.fills) == (1, 1)


def test_a_cycle_names_the_oids_its_placements_take_skipping_refused_levels() -> None:
    qe = engine(max_position=1.0)
    qe.handle(fill(50, "buy", 1.2, remaining=0.0))  # over the limit: the bids are refused
    out = qe.handle(book(T0))
    (q,) = of_type(out, QuoteCycle)
    places = of_type(out, PlaceOrder)
    assert {lv.side for lv in q.levels} == {"sell"} and of_type(out, QuoteSuppressed)
    assert q.oids == tuple(p.oid for p in places) == tuple(range(1, len(places) + 1)) and places
    assert [(lv.side, lv.level, lv.px) for lv in q.levels] == [(p.side, p.level, p.px) for p in places]


def test_pricing_band_follows_the_gates_and_has_no_floor_while_warming_up() -> None:
    pricing = QuotePricing.from_config(QuoteSection(sz_decimals=2, observe_s=0.0), FEES, "TEST")
    touch = Touch(mid=50.0, best_bid=49.99, best_ask=50.01)
    quote1, levels, (lo, hi) = pricing.ladder(touch, 0.0, 1.0)
    assert (lo, hi) == pytest.approx((40.0 * 50.0 / 1e4, 50.0 * 50.0 / 1e4))  # the default profile
    assert 40.0 / 2e4 <= quote1.half_spread <= 50.0 / 2e4 and levels
    quote2, _, (lo2, hi2) = pricing.ladder(touch, 0.0, 2.0)
    assert quote2.half_spread == 2.0 * quote1.half_spread and (lo2, hi2) == pytest.approx((2 * lo, 2 * hi))
    pricing.on_estimates(msgspec.structs.replace(estimates(0.0, math.nan), warmup=0.5, cal_gamma=0.0))
    assert pricing.warming_up and pricing.estimates_used == 0  # nothing usable: the priors stay
    assert pricing.ladder(touch, 0.0, 1.0)[2] == (-math.inf, hi)


def prior(components: tuple[str, ...], defensive: bool) -> PriorInjected:
    return PriorInjected(
        ts=T0, source="prior.json", digest="", content_digest="", asset="TEST", verdict="Marginal",
        defensive=defensive, spread_factor=1.5, size_factor=0.5, learned_s=600.0, sessions=1,
        components=components, state={},
    )  # fmt: skip


def test_a_defensive_prior_widens_and_shrinks_the_quotes() -> None:
    pricing = QuotePricing.from_config(quote_cfg(), FEES, "TEST")
    notional = pricing.cfg.order_notional_usd
    pricing.on_prior(prior(("volatility",), defensive=True))
    assert pricing.defensive_spread == 1.5 and pricing.cfg.order_notional_usd == 0.5 * notional


def test_the_observation_window_opens_at_the_first_cycle_and_a_prior_skips_it() -> None:
    window = ObservationWindow(10 * SEC)
    out: list[Event] = []
    assert not window.over and not window.ends_by(T0, out)
    assert not window.ends_by(T0 + 10 * SEC - 1, out)
    assert window.ends_by(T0 + 10 * SEC, out) and window.over
    opened, resumed = out
    assert isinstance(opened, ObservingMarket) and opened.until_ts == T0 + 10 * SEC
    assert isinstance(resumed, QuotingResumed) and resumed.reason == "observed" and resumed.paused_s == 10.0
    assert ObservationWindow(0).over
    skipped = ObservationWindow(10 * SEC)
    skipped.on_prior(prior(("kappa_own",), defensive=False))
    assert not skipped.over
    skipped.on_prior(prior(("volatility",), defensive=False))
    assert skipped.over


def test_quoted_spreads_count_two_sided_cycles_and_take_the_median() -> None:
    spreads = QuotedSpreads()
    assert math.isnan(spreads.median())

    def level(side: str, px: float) -> QuoteLevel:
        return QuoteLevel(side=side, level=0, px=px, sz=1.0, depth_bps=0.0, p_fill=0.5)  # type: ignore[arg-type]

    spreads.record((level("buy", 49.9), level("sell", 50.1)), 50.0)  # 40 bps
    spreads.record((level("buy", 49.9),), 50.0)  # one side: not a spread
    spreads.record(
        (level("buy", 49.85), level("buy", 49.95), level("sell", 50.05)), 50.0
    )  # 20 bps at the touch
    assert len(spreads) == 2 and spreads.median() == pytest.approx(30.0)
    spreads.record((level("buy", 49.75), level("sell", 50.25)), 50.0)  # 100 bps
    assert spreads.median() == pytest.approx(40.0)
