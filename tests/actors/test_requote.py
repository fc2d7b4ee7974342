"""The requote tolerance: which resting orders a new ladder keeps, and at what price."""

from __future__ import annotations

import math

import attrs
from hypothesis import given
from hypothesis import strategies as st

from actors.ladder import Touch, fill_probability
from actors.requote import keep_orders
from events import QuoteLevel
from events.orders import OrderSide

MID = 100.0
TOUCH = Touch(mid=MID, best_bid=99.99, best_ask=100.01)
KAPPA = 1000.0


@attrs.frozen
class Order:
    oid: int
    side: OrderSide
    px: float
    sz: float


def lvl(side: OrderSide, i: int, px: float, sz: float = 1.0) -> QuoteLevel:
    depth = (MID - px) / MID if side == "buy" else (px - MID) / MID
    return QuoteLevel(
        side=side, level=i, px=px, sz=sz, depth_bps=depth * 1e4, p_fill=fill_probability(KAPPA, depth)
    )


LADDER = (lvl("buy", 0, 99.80), lvl("buy", 1, 99.70), lvl("sell", 0, 100.20), lvl("sell", 1, 100.30))


def test_exact_prices_are_kept_without_tolerance() -> None:
    live = [Order(1, "buy", 99.80, 1.0), Order(2, "sell", 100.21, 1.0)]
    quoted, matched = keep_orders(LADDER, live, tolerance_px=0.0, touch=TOUCH, kappa=KAPPA)
    assert matched == [1, None, None, None] and quoted == LADDER


def test_a_near_order_is_kept_at_its_own_price() -> None:
    live = [Order(2, "sell", 100.21, 1.0)]
    quoted, matched = keep_orders(LADDER, live, tolerance_px=0.02, touch=TOUCH, kappa=KAPPA)
    assert matched == [None, None, 2, None]
    assert quoted[2] == lvl("sell", 0, 100.21) and quoted[2].depth_bps > LADDER[2].depth_bps


def test_the_nearest_order_wins_and_the_oldest_of_equals() -> None:
    live = [Order(1, "buy", 99.78, 1.0), Order(2, "buy", 99.81, 1.0), Order(3, "buy", 99.775, 1.0)]
    _, matched = keep_orders(LADDER[:1], live, tolerance_px=0.05, touch=TOUCH, kappa=KAPPA)
    assert matched == [2]
    live = [Order(1, "buy", 99.81, 1.0), Order(2, "buy", 99.81, 1.0)]
    _, matched = keep_orders(LADDER[:1], live, tolerance_px=0.05, touch=TOUCH, kappa=KAPPA)
    assert matched == [1]


def test_another_size_or_side_is_never_kept() -> None:
    live = [Order(1, "buy", 99.80, 2.0), Order(2, "sell", 99.80, 1.0)]
    _, matched = keep_orders(LADDER, live, tolerance_px=1.0, touch=TOUCH, kappa=KAPPA)
    assert matched == [None] * 4


def test_an_order_at_or_through_the_opposite_touch_is_not_kept() -> None:
    touch = Touch(mid=MID, best_bid=99.70, best_ask=99.80)  # the market fell onto our bid
    live = [Order(1, "buy", 99.80, 1.0)]
    _, matched = keep_orders((lvl("buy", 0, 99.79),), live, tolerance_px=0.05, touch=touch, kappa=KAPPA)
    assert matched == [None]


def test_kept_orders_never_take_the_spread_outside_its_bounds() -> None:
    # The ladder quotes a 40-unit spread; kept orders 1.5 units inside on both sides would
    # quote 37 against a lower bound of 39.9: both touch levels are requoted.
    ladder = (lvl("buy", 0, 99.80), lvl("sell", 0, 100.20))
    live = [Order(1, "buy", 99.815, 1.0), Order(2, "sell", 100.185, 1.0)]
    quoted, matched = keep_orders(
        ladder, live, tolerance_px=0.02, touch=TOUCH, kappa=KAPPA, spread_px=(0.399, 0.5)
    )  # fmt: skip
    assert matched == [None, None] and quoted == ladder
    # Inside the bounds they stay.
    _, matched = keep_orders(ladder, live, tolerance_px=0.02, touch=TOUCH, kappa=KAPPA, spread_px=(0.3, 0.5))
    assert matched == [1, 2]


prices = st.integers(9_900, 9_999).map(lambda c: c / 100)
orders = st.lists(
    st.tuples(st.sampled_from(["buy", "sell"]), st.integers(-30, 30), st.sampled_from([1.0, 2.0])),
    max_size=12,
)


@given(orders, st.integers(0, 20).map(lambda c: c / 100))
def test_properties_of_a_match(raw: list[tuple[str, int, float]], tolerance: float) -> None:
    """Each order covers at most one level of its side and size, within the tolerance; a
    kept level is quoted at its order's price, any other as the ladder wants it."""
    live = [
        Order(i + 1, side, round((99.8 if side == "buy" else 100.2) + off / 100, 2), sz)  # type: ignore[arg-type]
        for i, (side, off, sz) in enumerate(raw)
    ]
    quoted, matched = keep_orders(LADDER, live, tolerance_px=tolerance, touch=TOUCH, kappa=KAPPA)
    by_oid = {o.oid: o for o in live}
    kept = [oid for oid in matched if oid is not None]
    assert len(kept) == len(set(kept))
    for want, got, oid in zip(LADDER, quoted, matched, strict=True):
        assert (got.side, got.level, got.sz) == (want.side, want.level, want.sz)
        if oid is None:
            assert got == want
            continue
        order = by_oid[oid]
        assert (order.side, order.sz, order.px) == (got.side, got.sz, got.px)
        assert abs(order.px - want.px) <= tolerance * (1 + 1e-9)
        assert order.px < TOUCH.best_ask if order.side == "buy" else order.px > TOUCH.best_bid
        assert math.isclose(got.p_fill, fill_probability(KAPPA, got.depth_bps / 1e4))
    if tolerance == 0.0:  # exact: an order at a level's price is kept whenever one is free
        for want, oid in zip(LADDER, matched, strict=True):
            exact = [o for o in live if (o.side, o.px, o.sz) == (want.side, want.px, want.sz)]
            assert (oid is not None) == bool(exact)
