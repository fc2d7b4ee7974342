"""Adverse selection: pending markouts, the online logistic classifier and the EWMA."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.adverse_selection import (
    N_FEATURES,
    AdverseSelection,
    AdverseSelectionState,
    ClassifierState,
    LogisticClassifier,
    PendingMarkouts,
    features,
)

finite = st.floats(min_value=-1e300, max_value=1e300)
vectors = st.lists(finite, min_size=N_FEATURES, max_size=N_FEATURES)
training = st.lists(st.tuples(vectors, st.booleans()), max_size=60)
probs4 = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)


@given(training, vectors, st.floats(min_value=1e-4, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_classifier_probability_is_strictly_inside_0_1(
    data: list[tuple[list[float], bool]], x: list[float], lr: float, l2: float
) -> None:
    clf = LogisticClassifier(N_FEATURES, lr, l2)
    for xi, yi in data:
        assert clf.update(xi, yi)
        assert all(math.isfinite(w) for w in clf.weights)
    p = clf.predict(x)
    assert 0.0 < p < 1.0


@given(st.lists(st.tuples(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=9),
                          st.booleans()), max_size=30))  # fmt: skip
def test_classifier_refuses_and_counts_bad_features(data: list[tuple[list[float], bool]]) -> None:
    clf = LogisticClassifier()
    refused = 0
    for x, y in data:
        ok = len(x) == N_FEATURES and all(math.isfinite(v) for v in x)
        assert clf.update(x, y) == ok
        refused += not ok
    assert clf.rejected == refused
    assert all(math.isfinite(w) for w in clf.weights)
    assert 0.0 < clf.predict([0.0] * N_FEATURES) < 1.0


def test_classifier_learns_a_signal() -> None:
    rng = np.random.default_rng(3)
    clf = LogisticClassifier(N_FEATURES, 0.05, 1e-4)
    for _ in range(20_000):
        flow = float(rng.uniform(-1, 1))
        x = (1.0, 0.0, 0.0, flow, 0.0, 0.0, 0.0, 0.0)
        clf.update(x, bool(rng.random() < 1 / (1 + math.exp(-(3.0 * flow - 0.5)))))
    assert clf.predict((1.0, 0.0, 0.0, 0.8, 0.0, 0.0, 0.0, 0.0)) == pytest.approx(
        1 / (1 + math.exp(-1.9)), abs=0.05
    )
    assert clf.predict((1.0, 0.0, 0.0, -0.8, 0.0, 0.0, 0.0, 0.0)) < 0.1


def test_a_buy_is_adverse_when_the_mid_falls_past_the_threshold() -> None:
    pending = PendingMarkouts(horizon_ns=5)
    x = features(1.0, 1.0, 0.0, 0.0, 1.0, (0.25,) * 4)
    assert pending.add(0, 1.0, 100.0, 99.99, x)  # our bid filled at 99.99, mid 100
    assert pending.add(1, -1.0, 100.0, 100.01, x)  # our ask filled at 100.01
    assert pending.resolve(4, 99.0) == []  # not due yet
    out = pending.resolve(5, 99.98)  # the first mid at or after 0 + 5
    assert len(out) == 1 and out[0].fill_ts == 0
    assert out[0].against_bps == pytest.approx(2.0)  # the mid fell 2 bps against our buy
    assert out[0].pnl_bps == pytest.approx((99.98 - 99.99) / 99.99 * 1e4)
    (sell,) = pending.resolve(7, 99.98)
    assert sell.against_bps == pytest.approx(-2.0)  # it fell: good for our sell
    assert len(pending) == 0
    assert not pending.add(9, 1.0, math.nan, 100.0, x) and not pending.add(9, 0.5, 100.0, 100.0, x)
    assert pending.rejected == 2

    adverse = AdverseSelection(threshold_bps=1.0, ewma_alpha=0.5)
    adverse.update(out[0].against_bps, out[0].features)
    adverse.update(sell.against_bps, sell.features)
    assert adverse.observations == 2 and adverse.adverse_rate == 0.5
    # Bias-corrected EWMA: (0.5 * 0.5 * 2 + 0.5 * -2) / (0.5 * 0.5 + 0.5)
    assert adverse.value == pytest.approx((0.25 * 2.0 - 0.5 * 2.0) / 0.75)


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 30)), min_size=1, max_size=30), st.integers(0, 100)
)
def test_markouts_resolve_when_their_horizon_ends_even_if_added_late(
    fills: list[tuple[int, int]], until: int
) -> None:
    # Fills are logged in time order, except held ones, which come up to ``hold`` late:
    # each is resolved once its own horizon has ended, in the order the horizons end.
    pending = PendingMarkouts(horizon_ns=10)
    x = features(1.0, 1.0, 0.0, 0.0, 1.0, (0.25,) * 4)
    logged = 0
    added: list[int] = []
    for gap, late in fills:
        logged += gap
        t0 = max(logged - late, 0)
        pending.add(t0, 1.0, 100.0, 100.0, x)
        added.append(t0)
    out = pending.resolve(until, 100.0)
    due = sorted(t0 for t0 in added if t0 + 10 <= until)
    assert [o.fill_ts for o in out] == due
    assert len(pending) == len(added) - len(due)
    assert pending.next_due is None or pending.next_due > until


@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), vectors), max_size=40))
def test_bad_markouts_are_refused_counted_and_leave_it_finite(data: list[tuple[float, list[float]]]) -> None:
    adverse = AdverseSelection()
    refused = 0
    for move, x in data:
        ok = -1e6 <= move <= 1e6
        assert adverse.update(move, x) == ok
        refused += not ok
    assert adverse.rejected == refused
    assert math.isfinite(adverse.value) and 0.0 <= adverse.adverse_rate <= 1.0
    state = adverse.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=AdverseSelectionState)
    assert decoded == state
    copy = AdverseSelection()
    copy.restore(decoded)
    assert copy.snapshot() == state
    assert (
        msgspec.json.decode(msgspec.json.encode(state.classifier), type=ClassifierState) == state.classifier
    )


@given(training, st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.floats(0.0, 100.0), probs4)
def test_side_probabilities_are_the_classifier_on_each_side(
    data: list[tuple[list[float], bool]], book: float, flow: float, vol_ratio: float, probs: list[float]
) -> None:
    adverse = AdverseSelection()
    for x, y in data:
        adverse.update(0.5 if y else 2.0, x)
    bid, ask = adverse.side_probabilities(book, flow, vol_ratio, probs)
    assert bid == pytest.approx(
        adverse.probability(features(1.0, 1.0, book, flow, vol_ratio, probs)), rel=1e-9
    )
    assert ask == pytest.approx(
        adverse.probability(features(-1.0, 1.0, book, flow, vol_ratio, probs)), rel=1e-9
    )
    assert 0.0 < bid < 1.0 and 0.0 < ask < 1.0
