"""Kelly tracker: wins and losses by markout, and the fraction they imply."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.kelly import KellyState, KellyTracker

pnls = st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=100)


@given(pnls, st.floats(min_value=1e-6, max_value=1e6))
def test_kelly_fraction_is_in_minus_1_1(seq: list[float], prior: float) -> None:
    kelly = KellyTracker(prior)
    for x in seq:
        assert kelly.update(x)
        assert -1.0 <= kelly.value <= 1.0
    assert kelly.observations == len(seq)


def test_no_data_says_zero_and_the_formula_is_p_minus_q_over_b() -> None:
    kelly = KellyTracker(prior_bps=1.0)
    assert kelly.value == 0.0
    for x in (3.0, 3.0, 3.0, -1.0):
        kelly.update(x)
    p = 4 / 6
    b = ((9.0 + 1.0) / 4) / ((1.0 + 1.0) / 2)
    assert kelly.value == pytest.approx(p - (1 - p) / b)
    assert kelly.win_rate == 0.75


def test_only_losses_say_minus_one_eventually() -> None:
    kelly = KellyTracker()
    for _ in range(1000):
        kelly.update(-5.0)
    assert kelly.value < -0.9


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_bad_markouts_are_refused_counted_and_leave_it_finite(seq: list[float]) -> None:
    kelly = KellyTracker()
    refused = 0
    for x in seq:
        ok = -1e6 <= x <= 1e6
        assert kelly.update(x) == ok
        refused += not ok
    assert kelly.rejected == refused
    assert -1.0 <= kelly.value <= 1.0 and math.isfinite(kelly.value)


@given(pnls)
def test_snapshot_round_trips_through_json(seq: list[float]) -> None:
    kelly = KellyTracker(2.0)
    for x in seq:
        kelly.update(x)
    state = kelly.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=KellyState)
    assert decoded == state
    copy = KellyTracker()
    copy.restore(decoded)
    assert copy.value == kelly.value and copy.snapshot() == state
