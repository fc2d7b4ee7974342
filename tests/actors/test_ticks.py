"""Hyperliquid perp tick and lot rounding against an exact Decimal reference."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.ticks import (
    ABS_EPSILON,
    REL_EPSILON,
    floor_size,
    is_valid_price,
    price_decimals,
    round_ask,
    round_bid,
    tick_size,
)

SZ_DECIMALS = range(6)
_REL = Decimal(str(REL_EPSILON))
_ABS = Decimal(str(ABS_EPSILON))


def _eps(ticks: Decimal) -> Decimal:
    """The one tolerance the float code adds to the rule, in ticks (or lots)."""
    return min(ticks * _REL, _ABS)


# -- the reference: section 13's algorithm, in Decimal, on the number as printed --------


def ref_decimals(px: Decimal, sz_decimals: int) -> int:
    return max(0, min(6 - sz_decimals, 4 - px.adjusted()))


def ref_round(
    px_float: float, sz_decimals: int, *, up: bool, exact: bool = False, widen: Decimal = Decimal(0)
) -> float:
    """Section 13 in exact arithmetic, with the float code's tolerance unless ``exact``.

    ``widen`` moves the tolerance's edge by that fraction of the value in ticks.
    """
    px = Decimal(repr(px_float))
    if px == px.to_integral_value():
        return float(px)
    dec = ref_decimals(px, sz_decimals)
    ticks = px.scaleb(dec)
    eps = Decimal(0) if exact else _eps(ticks) + widen * ticks
    n = (ticks - eps).to_integral_value(ROUND_CEILING) if up else (ticks + eps).to_integral_value(ROUND_FLOOR)
    return float(n.scaleb(-dec))


#: How far float error can move a value against the tolerance's edge, relative to the
#: value in ticks: the product px * 10**dec and reading px from its repr cost half an
#: ulp each. An input that close to the edge may round either way.
_FLOAT_BAND = Decimal("1e-15")


def ref_round_allowed(px_float: float, sz_decimals: int, *, up: bool) -> set[float]:
    """The reference's answers with the edge moved by float error either way: a single
    answer, except for an input that sits right on the edge of the tolerance."""
    return {ref_round(px_float, sz_decimals, up=up, widen=side * _FLOAT_BAND) for side in (-1, 1)}


def ref_is_valid(px_float: float, sz_decimals: int) -> bool:
    px = Decimal(repr(px_float))
    if px == px.to_integral_value():
        return True
    digits = px.normalize().as_tuple()
    decimals = -int(digits.exponent)
    significant = len(digits.digits)
    return significant <= 5 and decimals <= 6 - sz_decimals


def ref_floor_size_allowed(sz_float: float, sz_decimals: int) -> set[float]:
    """The exact floor to the lot with the float code's tolerance (see ref_round_allowed)."""
    lots = Decimal(repr(sz_float)).scaleb(sz_decimals)
    return {
        float(
            (lots + _eps(lots) + side * _FLOAT_BAND * lots)
            .to_integral_value(ROUND_FLOOR)
            .scaleb(-sz_decimals)
        )
        for side in (-1, 1)
    }


# -- the worked examples of section 13 -----------------------------------------------------


@pytest.mark.parametrize(
    ("px", "sz_decimals", "bid", "ask"),
    [
        (97_412.37, 5, 97_412.0, 97_413.0),  # BTC: max 1 decimal, 5 sig figs bind first
        (3_321.347, 4, 3_321.3, 3_321.4),  # ETH: max 2 decimals
        (0.0123456, 1, 0.01234, 0.01235),  # max 5 decimals
        (0.00441057, 0, 0.00441, 0.004411),  # kPEPE: the 6-decimal cap binds
        (99_999.6, 5, 99_999.0, 100_000.0),  # the ask carries into the next power of ten
        (123_456.7, 2, 123_456.0, 123_457.0),  # >= 100,000: integers only
        (42.0, 5, 42.0, 42.0),  # integers are always valid
        (1_234_567.0, 0, 1_234_567.0, 1_234_567.0),  # ... whatever their figures
    ],
)
def test_worked_examples(px: float, sz_decimals: int, bid: float, ask: float) -> None:
    assert round_bid(px, sz_decimals) == bid
    assert round_ask(px, sz_decimals) == ask
    assert is_valid_price(bid, sz_decimals) and is_valid_price(ask, sz_decimals)


def test_float_artefacts_do_not_move_a_price_a_whole_tick() -> None:
    px = 0.1 + 0.2  # 0.30000000000000004
    assert round_ask(px, 0) == 0.3
    assert round_bid(px, 0) == 0.3
    below = 3321.3 - 1e-12  # just under a tick from arithmetic
    assert round_bid(below, 4) == 3321.3
    assert floor_size(0.29, 2) == 0.29  # 0.29 * 100 = 28.999999999999996


def test_tick_sizes() -> None:
    assert tick_size(97_412.37, 5) == 1.0
    assert tick_size(3_321.347, 4) == 0.1
    assert tick_size(3_321.347, 0) == 0.1  # 5 significant figures bind before 6 decimals
    assert tick_size(0.00441057, 0) == 1e-6
    assert tick_size(250_000.0, 0) == 1.0
    assert price_decimals(0.0123456, 1) == 5


@pytest.mark.parametrize("exponent", range(-8, 9))
def test_decimals_step_exactly_at_powers_of_ten(exponent: int) -> None:
    def expected(magnitude: int) -> int:
        return max(0, min(6, 4 - magnitude))

    p = float(f"1e{exponent}")
    assert price_decimals(p, 0) == expected(exponent)
    assert price_decimals(math.nextafter(p, 0.0), 0) == expected(exponent - 1)
    assert price_decimals(math.nextafter(p, math.inf), 0) == expected(exponent)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_rejects_prices_that_are_not_positive_and_finite(bad: float) -> None:
    with pytest.raises(ValueError):
        round_bid(bad, 2)
    with pytest.raises(ValueError):
        round_ask(bad, 2)
    assert not is_valid_price(bad, 2)


def test_rejects_unresolved_sz_decimals() -> None:
    with pytest.raises(ValueError):
        round_bid(1.0, -1)
    with pytest.raises(ValueError):
        floor_size(1.0, -1)


# -- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sz", "sz_decimals", "floored"),
    [
        (0.000513281, 5, 0.00051),
        (1.99999, 0, 1.0),
        (0.12345678, 4, 0.1234),
        (0.3, 1, 0.3),
        (0.1 + 0.2, 1, 0.3),
        (0.0049, 2, 0.0),
        (0.0, 3, 0.0),
    ],
)
def test_size_floors(sz: float, sz_decimals: int, floored: float) -> None:
    assert floor_size(sz, sz_decimals) == floored


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_rejects_bad_sizes(bad: float) -> None:
    with pytest.raises(ValueError):
        floor_size(bad, 2)


@given(sz=st.floats(0.0, 1e6), sz_decimals=st.integers(0, 6))
def test_size_is_never_rounded_up(sz: float, sz_decimals: int) -> None:
    # Up to 1e12 lots: beyond ~1e14 lots a float cannot hold a size to the lot at all.
    floored = floor_size(sz, sz_decimals)
    lot = 10.0**-sz_decimals
    assert floored <= sz + lot * ABS_EPSILON * 2
    assert sz - floored < lot
    assert floored in ref_floor_size_allowed(sz, sz_decimals)


# -- the reference over the whole range -------------------------------------------------------


@st.composite
def decimal_prices(draw: st.DrawFn) -> float:
    """Prices as a feed or a person writes them: up to 10 significant digits, 1e-6..1e6."""
    digits = draw(st.integers(1, 10))
    mantissa = draw(st.integers(10 ** (digits - 1), 10**digits - 1))
    exponent = draw(st.integers(-6 - digits + 1, 6 - digits))
    return float(Decimal(mantissa).scaleb(exponent))


@given(px=decimal_prices(), sz_decimals=st.sampled_from(SZ_DECIMALS))
def test_decimal_prices_match_the_rule_exactly(px: float, sz_decimals: int) -> None:
    # Such prices are never within the tolerance of a tick unless on it (even where the
    # decimal cap makes the tick coarse, as 0.4999999999 at tick 0.1), so the float code
    # must agree with the rule with no tolerance at all.
    assert round_bid(px, sz_decimals) == ref_round(px, sz_decimals, up=False, exact=True)
    assert round_ask(px, sz_decimals) == ref_round(px, sz_decimals, up=True, exact=True)


@pytest.mark.parametrize(
    ("px", "sz_decimals", "bid", "ask"), [(0.4999999999, 5, 0.4, 0.5), (9.999999999, 0, 9.9999, 10.0)]
)
def test_a_price_a_hair_below_a_coarse_tick_is_not_snapped(
    px: float, sz_decimals: int, bid: float, ask: float
) -> None:
    assert round_bid(px, sz_decimals) == bid
    assert round_ask(px, sz_decimals) == ask


@given(px=st.floats(1e-6, 1e6), sz_decimals=st.sampled_from(SZ_DECIMALS))
def test_any_float_matches_the_reference(px: float, sz_decimals: int) -> None:
    bid = round_bid(px, sz_decimals)
    ask = round_ask(px, sz_decimals)
    assert bid in ref_round_allowed(px, sz_decimals, up=False)
    assert ask in ref_round_allowed(px, sz_decimals, up=True)
    assert ref_is_valid(ask, sz_decimals)
    # A zero bid (a price under the smallest tick) is for the caller to drop.
    if bid > 0.0:
        assert ref_is_valid(bid, sz_decimals)
        assert is_valid_price(bid, sz_decimals)
        assert round_bid(bid, sz_decimals) == bid
    assert is_valid_price(ask, sz_decimals)
    assert round_ask(ask, sz_decimals) == ask


@given(px=st.floats(1e-6, 1e6), sz_decimals=st.sampled_from(SZ_DECIMALS))
def test_rounding_is_passive_and_within_one_tick(px: float, sz_decimals: int) -> None:
    bid = round_bid(px, sz_decimals)
    ask = round_ask(px, sz_decimals)
    tick = tick_size(px, sz_decimals)
    slack = tick * ABS_EPSILON * 2
    assert bid <= px + slack
    assert ask >= px - slack
    assert px - bid < tick
    assert ask - px < tick
