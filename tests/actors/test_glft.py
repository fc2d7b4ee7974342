"""GLFT closed form: hand-computed values, inventory skew, guards."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.glft import GlftQuote, glft_quote


def _by_hand(gamma: float, a: float, d: float, sigma: float, k: float, fee: float) -> tuple[float, ...]:
    """Guéant eqs 4.6-4.7 written out term by term, independently of actors.glft."""
    c1 = math.log(1 + gamma * d / k) / (gamma * d)
    c2 = math.sqrt(gamma / (2 * a * d * k) * (1 + gamma * d / k) ** (k / (gamma * d) + 1))
    return c1, c2, c1 + d / 2 * sigma * c2 + fee, sigma * c2


# (gamma, A, D, sigma, kappa, maker fee) -> (c1, c2, half spread, skew), the literals
# computed with 40-digit Decimal arithmetic.
CASES = [
    (
        (0.3, 1.0, 1.0, 2e-4, 500.0, 0.0),
        (1.999400239892052e-3, 2.856097305194056e-2, 2.002256337197246e-3, 5.712194610388112e-6),
    ),
    (
        (0.1, 2.0, 1.0, 5e-4, 100.0, 0.0),
        (9.995003330835332e-3, 2.607508799682241e-2, 1.000152210283454e-2, 1.303754399841120e-5),
    ),
    (
        (1.0, 0.5, 2.0, 1e-3, 50.0, 0.0),
        (1.961035657664065e-2, 1.665073507310388e-1, 1.977686392737169e-2, 1.665073507310388e-4),
    ),
    (
        (0.05, 10.0, 0.5, 1e-4, 2000.0, 0.00015),
        (4.999968750260414e-4, 2.606865367497321e-3, 6.500620466602289e-4, 2.606865367497321e-7),
    ),
]


def _quote(gamma: float, a: float, d: float, sigma: float, k: float, fee: float = 0.0) -> GlftQuote:
    return glft_quote(gamma=gamma, arrival_a=a, delta=d, sigma=sigma, kappa=k, maker_fee=fee)


@pytest.mark.parametrize(("params", "expected"), CASES)
def test_matches_hand_computed_values(params: tuple[float, ...], expected: tuple[float, ...]) -> None:
    q = _quote(*params)
    got = (q.c1, q.c2, q.half_spread, q.skew)
    for value, literal, by_hand in zip(got, expected, _by_hand(*params), strict=True):
        assert value == pytest.approx(literal, rel=1e-12)
        assert value == pytest.approx(by_hand, rel=1e-12)


def test_default_parameters_give_about_20_bps_half_spread() -> None:
    # gamma 0.3, kappa 500: c1 = ln(1.0006) / 0.3 = 19.994 bps (just under 1/k = 20 bps),
    # the volatility term D/2 * sigma * c2 adds 0.029 bps and the fee 1.5 bps.
    q = _quote(0.3, 1.0, 1.0, 2e-4, 500.0, 0.00015)
    assert q.half_spread * 1e4 == pytest.approx(19.994 + 0.029 + 1.5, abs=1e-3)


def test_maker_fee_widens_half_spread_one_for_one() -> None:
    base = _quote(0.3, 1.0, 1.0, 2e-4, 500.0)
    with_fee = _quote(0.3, 1.0, 1.0, 2e-4, 500.0, 0.00015)
    assert with_fee.half_spread - base.half_spread == pytest.approx(0.00015, rel=1e-9)
    assert with_fee.skew == base.skew


def test_zero_sigma_leaves_only_c1() -> None:
    q = _quote(0.3, 1.0, 1.0, 0.0, 500.0)
    assert q.skew == 0.0
    assert q.half_spread == q.c1


def test_small_risk_aversion_tends_to_one_over_kappa() -> None:
    # ln(1 + x) / x -> 1 as x -> 0, so c1 -> 1/k.
    assert _quote(1e-9, 1.0, 1.0, 1e-4, 400.0).c1 == pytest.approx(1 / 400, rel=1e-9)


@pytest.mark.parametrize("q_lots", [0.5, 1.0, 3.0])
def test_long_inventory_lowers_both_quotes(q_lots: float) -> None:
    q = _quote(0.3, 1.0, 1.0, 2e-4, 500.0)
    mid = 100.0
    flat_bid, flat_ask = mid * (1 - q.bid_depth(0.0)), mid * (1 + q.ask_depth(0.0))
    long_bid, long_ask = mid * (1 - q.bid_depth(q_lots)), mid * (1 + q.ask_depth(q_lots))
    short_bid, short_ask = mid * (1 - q.bid_depth(-q_lots)), mid * (1 + q.ask_depth(-q_lots))
    assert q.skew > 0.0
    assert long_bid < flat_bid and long_ask < flat_ask
    assert short_bid > flat_bid and short_ask > flat_ask
    # The spread itself does not depend on inventory.
    assert long_ask - long_bid == pytest.approx(flat_ask - flat_bid, rel=1e-12)


@pytest.mark.parametrize("name", ["gamma", "arrival_a", "delta", "kappa"])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_rejects_non_positive_or_non_finite_parameters(name: str, bad: float) -> None:
    params = {"gamma": 0.3, "arrival_a": 1.0, "delta": 1.0, "sigma": 2e-4, "kappa": 500.0}
    params[name] = bad
    with pytest.raises(ValueError, match=name):
        glft_quote(**params)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1e-4])
def test_rejects_bad_sigma(bad: float) -> None:
    with pytest.raises(ValueError, match="sigma"):
        _quote(0.3, 1.0, 1.0, bad, 500.0)


def test_rejects_non_finite_fee() -> None:
    with pytest.raises(ValueError, match="fee"):
        _quote(0.3, 1.0, 1.0, 2e-4, 500.0, math.nan)


positive = st.floats(min_value=1e-4, max_value=1e4)


@given(gamma=positive, a=positive, d=st.floats(0.01, 100.0), sigma=st.floats(0.0, 0.1), k=st.floats(1.0, 1e5))
def test_finite_and_positive_over_the_valid_domain(
    gamma: float, a: float, d: float, sigma: float, k: float
) -> None:
    q = _quote(gamma, a, d, sigma, k)
    assert math.isfinite(q.half_spread) and math.isfinite(q.skew)
    # ln(1 + x) <= x, so c1 <= 1/k (up to rounding).
    assert 0.0 < q.c1 <= (1.0 / k) * (1.0 + 1e-12)
    assert q.half_spread >= q.c1
    assert q.skew >= 0.0
