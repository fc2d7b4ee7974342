"""Kappa: the Gamma-Exponential posterior, per regime and side, and the own-fill blend."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.kappa import (
    ASK,
    BID,
    GammaKappa,
    KappaState,
    RegimeKappa,
    RegimeKappaState,
    blend,
    harmonic,
)

#: Positive distances (fractions of mid) and volume weights.
distances = st.floats(min_value=5e-324, max_value=1.0, allow_nan=False)
weights = st.floats(min_value=1e-3, max_value=100.0)
observations = st.lists(st.tuples(distances, weights), max_size=50)
prior_means = st.floats(min_value=1.0, max_value=1e6)
strengths = st.floats(min_value=0.01, max_value=100.0)
any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.just(math.nan), st.just(math.inf), st.just(-1.0)
)


def posterior(prior: float, strength: float, obs: list[tuple[float, float]]) -> GammaKappa:
    est = GammaKappa(prior, strength, max_weight=1e6)
    for d, w in obs:
        assert est.update(d, w)
    return est


def test_the_conjugate_update_is_the_documented_one() -> None:
    est = posterior(500.0, 2.0, [(0.001, 1.0), (0.003, 0.5)])
    alpha = 2.0 + 1.5
    beta = 2.0 / 500.0 + 0.001 + 0.0015
    assert est.value == pytest.approx(alpha / beta)
    assert est.confidence == pytest.approx(1.0 / (1.0 + 1.0 / math.sqrt(alpha)))
    assert est.observations == 2 and est.weight == 1.5


@given(prior_means, strengths, observations)
def test_kappa_is_positive_and_finite_for_any_positive_distances(
    prior: float, strength: float, obs: list[tuple[float, float]]
) -> None:
    est = posterior(prior, strength, obs)
    assert 0.0 < est.value < math.inf


@given(prior_means, strengths, observations, st.data())
def test_the_posterior_does_not_depend_on_the_order_of_the_fills(
    prior: float, strength: float, obs: list[tuple[float, float]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(obs))
    a = posterior(prior, strength, obs)
    b = posterior(prior, strength, shuffled)
    # Sums commute; float addition only up to rounding.
    assert b.alpha == pytest.approx(a.alpha, rel=1e-12)
    assert b.beta == pytest.approx(a.beta, rel=1e-12)
    assert b.value == pytest.approx(a.value, rel=1e-12)
    assert b.confidence == pytest.approx(a.confidence, rel=1e-12)


@given(prior_means, strengths, observations, st.floats(min_value=0.0, max_value=0.99), weights)
def test_a_fill_closer_to_the_mid_than_one_over_kappa_raises_kappa(
    prior: float, strength: float, obs: list[tuple[float, float]], frac: float, w: float
) -> None:
    est = posterior(prior, strength, obs)
    before = est.value
    est.update(frac / before, w)
    assert est.value > before


@given(prior_means, strengths, observations, weights)
def test_a_fill_farther_than_one_over_kappa_lowers_it(
    prior: float, strength: float, obs: list[tuple[float, float]], w: float
) -> None:
    est = posterior(prior, strength, obs)
    before = est.value
    if 1.01 / before <= 1.0:  # within the plausible distance
        est.update(1.01 / before, w)
        assert est.value < before


@given(prior_means, strengths, observations, st.lists(weights, min_size=1, max_size=30))
def test_confidence_is_in_0_1_and_never_falls_as_observations_arrive_at_the_mean(
    prior: float, strength: float, obs: list[tuple[float, float]], more: list[float]
) -> None:
    est = posterior(prior, strength, obs)
    last = est.confidence
    assert 0.0 <= last < 1.0
    for w in more:
        est.update(min(1.0 / est.value, 1.0), w)
        assert 0.0 <= est.confidence < 1.0
        assert est.confidence >= last
        last = est.confidence


@given(st.lists(st.tuples(any_float, any_float), max_size=40))
def test_bad_observations_are_refused_counted_and_leave_it_finite(obs: list[tuple[float, float]]) -> None:
    est = GammaKappa(500.0, 1.0, max_distance=0.5, max_weight=5.0)
    refused = 0
    for d, w in obs:
        bad = not (0.0 <= d <= 0.5) or not (0.0 < w < math.inf)
        assert est.update(d, w) == (not bad)
        refused += bad
    assert est.rejected == refused
    assert 0.0 < est.value < math.inf and 0.0 <= est.confidence < 1.0
    assert math.isfinite(est.alpha) and math.isfinite(est.beta)


def test_a_weight_above_the_cap_counts_as_the_cap() -> None:
    capped = GammaKappa(500.0, max_weight=5.0)
    capped.update(0.001, 50.0)
    plain = GammaKappa(500.0)
    plain.update(0.001, 5.0)
    assert capped.snapshot().weight == plain.snapshot().weight == 5.0


@given(prior_means, strengths, observations)
def test_snapshot_round_trips_through_json(
    prior: float, strength: float, obs: list[tuple[float, float]]
) -> None:
    est = posterior(prior, strength, obs)
    state = est.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=KappaState)
    assert decoded == state
    copy = GammaKappa.from_snapshot(decoded)
    assert (copy.value, copy.confidence, copy.observations) == (est.value, est.confidence, est.observations)


def test_batches_are_the_same_update() -> None:
    one = posterior(800.0, 1.0, [(0.001, 1.0), (0.002, 2.0)])
    batch = GammaKappa(800.0)
    batch.add_batch(2, 3.0, 0.001 + 0.004)
    assert batch.value == pytest.approx(one.value) and batch.observations == 2


# -- per regime and side -------------------------------------------------------------------

PRIORS = (750.0, 500.0, 250.0, 125.0)


def test_each_regime_uses_its_prior_until_it_has_enough_weight() -> None:
    rk = RegimeKappa(PRIORS, min_weight=10.0)
    probs = (0.0, 1.0, 0.0, 0.0)
    assert rk.per_regime() == PRIORS
    for _ in range(9):
        rk.update(BID, 0.0005, 1.0, probs)
    assert rk.regime_value(1, BID) == 500.0 and rk.regime_confidence(1, BID) == 0.0
    rk.update(BID, 0.0005, 1.0, probs)
    cell = rk.cell(1, BID)
    assert rk.regime_value(1, BID) == cell.value > 500.0
    assert rk.regime_confidence(1, BID) == cell.confidence > 0.0
    # The ask side and the other regimes are untouched.
    assert rk.regime_value(1, ASK) == 500.0 and rk.regime_value(0, BID) == 750.0
    assert rk.side_observations(BID) == 10 and rk.side_observations(ASK) == 0


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=4, max_size=4),
       st.lists(st.tuples(st.sampled_from((BID, ASK)), distances, weights), max_size=40))  # fmt: skip
def test_blending_by_regime_probabilities(raw: list[float], obs: list[tuple[int, float, float]]) -> None:
    total = sum(raw)
    probs = tuple(p / total for p in raw) if total > 0 else (0.25,) * 4
    rk = RegimeKappa(PRIORS, min_weight=3.0)
    for side, d, w in obs:
        rk.update(side, d, w, probs)
    view = rk.evaluate(probs)
    for side, value, conf in ((BID, view.bid, view.bid_confidence), (ASK, view.ask, view.ask_confidence)):
        expected = sum(probs[r] * rk.regime_value(r, side) for r in range(4))
        assert value == pytest.approx(expected, rel=1e-12)
        assert value == pytest.approx(rk.side_value(side, probs), rel=1e-12)
        assert conf == pytest.approx(rk.side_confidence(side, probs), rel=1e-12, abs=1e-15)
        assert 0.0 <= conf < 1.0
        assert 0.0 < value < math.inf
    assert view.per_regime == pytest.approx(rk.per_regime())
    state = rk.snapshot()
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=RegimeKappaState)
    assert decoded == state
    copy = RegimeKappa((1.0,))
    copy.restore(decoded)
    assert copy.evaluate(probs) == view


def test_bad_regime_observations_are_refused() -> None:
    rk = RegimeKappa(PRIORS)
    assert not rk.update(BID, math.nan, 1.0, (0.25,) * 4)
    assert not rk.update(ASK, 0.001, -1.0, (0.25,) * 4)
    assert not rk.update(2, 0.001, 1.0, (0.25,) * 4)
    assert not rk.update(BID, 0.001, 1.0, (0.5, 0.5))
    assert not rk.update(BID, 0.001, 1.0, (math.nan, 0.0, 0.0, 1.0))
    assert rk.rejected == 5 and rk.side_observations(BID) == 0


# -- the own-fill blend --------------------------------------------------------------------


def test_without_own_fills_the_blend_is_the_market_estimate() -> None:
    own = GammaKappa(500.0)
    kappa, conf, share = blend(1500.0, 0.9, own, 0.3)
    assert (kappa, conf, share) == (1500.0, 0.9, 0.0)


@given(st.floats(min_value=10.0, max_value=1e5), st.floats(min_value=0.0, max_value=0.99), observations,
       st.floats(min_value=0.0, max_value=1.0))  # fmt: skip
def test_the_blend_lies_between_its_parts_in_half_spread(
    base: float, base_conf: float, obs: list[tuple[float, float]], own_weight: float
) -> None:
    own = posterior(500.0, 1.0, obs)
    kappa, conf, share = blend(base, base_conf, own, own_weight)
    assert 0.0 <= share <= own_weight
    lo, hi = sorted((base, own.value))
    assert lo * (1 - 1e-12) <= kappa <= hi * (1 + 1e-12)
    assert 1.0 / kappa == pytest.approx((1 - share) / base + share / own.value)
    assert 0.0 <= conf < 1.0


def test_harmonic_mean_averages_half_spreads() -> None:
    assert harmonic(1000.0, 500.0) == pytest.approx(1.0 / ((1 / 1000 + 1 / 500) / 2))
