"""Fill rate: a monotone Beta-Bernoulli curve of P(fill) by depth, and quote-level outcomes."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.fill_rate import (
    DEPTH_EDGES_BPS,
    FillRateCurve,
    FillRateState,
    LevelOutcomes,
    bin_depths,
)

depths = st.floats(min_value=-5.0, max_value=500.0)
outcomes = st.lists(st.tuples(depths, st.booleans()), max_size=200)
wild = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, math.inf, -math.inf])
)


@given(outcomes, st.floats(min_value=0.01, max_value=1e4), st.floats(min_value=0.1, max_value=1e3))
def test_probabilities_are_in_0_1_and_never_rise_with_depth(
    seq: list[tuple[float, bool]], strength: float, scale: float
) -> None:
    curve = FillRateCurve(strength, scale)
    for depth, filled in seq:
        assert curve.update(depth, filled)
    p = curve.probabilities
    assert len(p) == len(DEPTH_EDGES_BPS) == len(curve.depths_bps)
    assert all(0.0 <= x <= 1.0 for x in p)
    assert all(a >= b for a, b in zip(p, p[1:], strict=False))
    # Point queries agree with the curve and are monotone too.
    qs = [curve.probability(d) for d in (0.0, 0.7, 3.0, 12.0, 60.0, 1000.0)]
    assert all(a >= b for a, b in zip(qs, qs[1:], strict=False))


@given(st.lists(st.tuples(wild, st.booleans()), max_size=40))
def test_bad_depths_are_refused_and_counted(seq: list[tuple[float, bool]]) -> None:
    curve = FillRateCurve()
    refused = 0
    for depth, filled in seq:
        ok = curve.update(depth, filled)
        assert ok == (-math.inf < depth < math.inf)
        refused += not ok
    assert curve.rejected == refused
    assert all(0.0 <= x <= 1.0 for x in curve.probabilities)


def test_it_learns_a_decaying_fill_probability() -> None:
    rng = np.random.default_rng(5)
    curve = FillRateCurve(2.0, 5.0)
    true = lambda d: 0.8 * math.exp(-d / 8.0)  # noqa: E731
    for d in rng.uniform(0.0, 60.0, 50_000):
        curve.update(float(d), bool(rng.random() < true(float(d))))
    for centre, p in zip(curve.depths_bps, curve.probabilities, strict=True):
        if 1.0 <= centre <= 40.0:
            # A bin's rate is the average over its width, close to the centre's for narrow bins.
            assert p == pytest.approx(true(centre), abs=0.05)
    assert curve.observations == 50_000 and curve.confidence > 0.99


def test_an_out_of_order_bin_is_pooled_with_its_neighbour() -> None:
    curve = FillRateCurve(1.0, 5.0)
    for _ in range(100):
        curve.update(2.5, False)  # bin [2, 3): never fills
        curve.update(4.0, True)  # bin [3, 5): always fills
    p = curve.probabilities
    i, j = DEPTH_EDGES_BPS.index(2.0), DEPTH_EDGES_BPS.index(3.0)
    assert p[i] == p[j] == pytest.approx(0.5, abs=0.02)


@given(outcomes)
def test_snapshot_round_trips_through_json(seq: list[tuple[float, bool]]) -> None:
    curve = FillRateCurve(3.0, 7.0)
    for depth, filled in seq:
        curve.update(depth, filled)
    state = curve.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=FillRateState)
    assert decoded == state
    copy = FillRateCurve()
    copy.restore(decoded)
    assert copy.probabilities == curve.probabilities and copy.observations == curve.observations


def test_bin_depths_are_centres() -> None:
    d = bin_depths((0.0, 1.0, 3.0))
    assert d == (0.5, 2.0, 4.5)


def test_level_outcomes() -> None:
    levels = LevelOutcomes(horizon_ns=10)
    levels.place(1, ts=0, depth_bps=2.0)
    levels.place(2, ts=0, depth_bps=4.0)
    levels.place(3, ts=0, depth_bps=6.0)
    levels.place(4, ts=0, depth_bps=8.0)
    assert levels.fill(1, ts=10) == (2.0, True)  # within the horizon
    assert levels.fill(1, ts=11) is None  # a later partial fill: already resolved
    assert levels.fill(2, ts=11) == (4.0, False)  # filled, but after the horizon
    assert levels.end(3) == 6.0
    assert levels.end(3) is None
    levels.discard(4)  # rejected: never rested, no outcome
    assert levels.end(4) is None and len(levels) == 0
