"""Regime HMM: forward filtering, adaptive emissions, the sliding and re-aligned centre."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.estimators.regime import (
    CASCADE,
    NORMAL,
    OFFSETS,
    QUIET,
    REGIMES,
    VOLATILE,
    RegimeHmm,
    RegimeState,
    agreement,
)

#: Any float at all, including the degenerate ones a broken feed could produce.
wild = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf]),
)
sane = st.floats(min_value=-30.0, max_value=30.0)
steps = st.lists(st.tuples(wild, wild, wild, wild), max_size=60)
sane_steps = st.lists(st.tuples(sane, sane, st.floats(0.0, 1.0), st.floats(0.0, 5.0)), max_size=60)

CENTRE = (math.log(1e-4), math.log(8.0))


def check_probabilities(hmm: RegimeHmm) -> None:
    p = hmm.probabilities
    assert len(p) == len(REGIMES)
    assert all(x >= 0.0 for x in p)
    assert abs(sum(p) - 1.0) <= 1e-9
    assert hmm.most_likely == p.index(max(p))


@given(steps)
def test_probabilities_stay_a_distribution_whatever_the_inputs(
    seq: list[tuple[float, float, float, float]],
) -> None:
    hmm = RegimeHmm()
    check_probabilities(hmm)
    refused = 0
    for log_vol, log_rate, imbalance, dt in seq:
        finite = all(-math.inf < v < math.inf for v in (log_vol, log_rate, imbalance))
        assert hmm.update(log_vol, log_rate, imbalance, dt) == finite
        refused += not finite
        check_probabilities(hmm)
    assert hmm.rejected == refused
    assert all(math.isfinite(v) for row in hmm.means for v in row)
    assert all(math.isfinite(v) and v > 0 for row in hmm.variances for v in row)
    assert all(math.isfinite(c) for c in hmm.center)


@settings(max_examples=10)
@given(st.lists(st.tuples(st.sampled_from([-1e300, 1e300, 0.0, -745.0]), st.sampled_from([-1e300, 1e300, 0.0]),
                          st.sampled_from([0.0, 1.0, -1e300]), st.sampled_from([0.0, 1.0, 1e300]))
                , min_size=200, max_size=400))  # fmt: skip
def test_extreme_inputs_through_an_alignment_keep_it_a_distribution(
    seq: list[tuple[float, float, float, float]],
) -> None:
    hmm = RegimeHmm(center=CENTRE)
    for step in seq:
        hmm.update(*step)
        check_probabilities(hmm)
    state = hmm.snapshot()
    assert msgspec.json.decode(msgspec.json.encode(state), type=RegimeState) == state


@given(sane_steps, sane_steps)
def test_snapshot_round_trips_through_json_and_restores_exactly(
    before: list[tuple[float, float, float, float]], after: list[tuple[float, float, float, float]]
) -> None:
    hmm = RegimeHmm(center=CENTRE)
    for step in before:
        hmm.update(*step)
    state = hmm.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=RegimeState)
    assert decoded == state
    copy = RegimeHmm()
    copy.restore(decoded)
    assert copy.snapshot() == state
    for step in after:
        hmm.update(*step)
        copy.update(*step)
    assert copy.snapshot() == hmm.snapshot()


def stream(
    seed: int, regimes: list[int], seconds: int, centre: tuple[float, float]
) -> list[tuple[float, float, float]]:
    """Observations drawn from the template around ``centre``: ``seconds`` steps per regime."""
    rng = np.random.default_rng(seed)
    out = []
    for r in regimes:
        m0, m1, m2 = OFFSETS[r]
        for _ in range(seconds):
            out.append((
                centre[0] + m0 + 0.25 * rng.standard_normal(),
                centre[1] + m1 + 0.3 * rng.standard_normal(),
                abs(m2 + 0.08 * rng.standard_normal()),
            ))  # fmt: skip
    return out


def test_it_follows_clear_regimes() -> None:
    plan = [NORMAL, QUIET, VOLATILE, NORMAL, CASCADE, QUIET]
    hmm = RegimeHmm(center=CENTRE)
    seen = []
    for x in stream(1, plan, 200, CENTRE):
        hmm.update(*x, 1.0)
        seen.append(hmm.most_likely)
    truth = [r for r in plan for _ in range(200)]
    # Allow the filter a few steps to notice each switch.
    assert agreement(seen, truth, [[0], [1], [2], [3]]) > 0.9


def test_a_centre_ten_times_off_is_found_by_the_alignment() -> None:
    true_centre = CENTRE
    wrong = (CENTRE[0] + math.log(10.0), CENTRE[1] + math.log(10.0))
    plan = [QUIET, NORMAL, VOLATILE, NORMAL] * 3
    hmm = RegimeHmm(center=wrong)
    seen = []
    for x in stream(2, plan, 300, true_centre):
        hmm.update(*x, 1.0)
        seen.append(hmm.most_likely)
    assert hmm.alignments >= 1
    assert hmm.center == pytest.approx(true_centre, abs=0.3)
    truth = [r for r in plan for _ in range(300)]
    assert agreement(seen[1800:], truth[1800:], [[0], [1], [2], [3]]) > 0.85


def test_without_a_prior_the_first_observation_is_taken_for_normal() -> None:
    hmm = RegimeHmm()
    hmm.update(-9.0, 2.0, 0.1, 1.0)
    assert hmm.center == pytest.approx((-9.0, 2.0), abs=1e-3)  # (then slid a little)
    assert hmm.value == "normal"


def test_agreement_counts_the_allowed_regimes() -> None:
    mapping = [[QUIET], [NORMAL], [VOLATILE, CASCADE]]
    assert agreement([0, 1, 2, 3, 0], [0, 1, 2, 2, 1], mapping) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        agreement([0], [0, 1], mapping)
