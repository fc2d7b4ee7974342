"""Volatility: EWMA and bipower sigma of mid log-returns in event time."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.volatility import Volatility, VolatilityState

SEC = 1_000_000_000
T0 = 1_767_225_600 * SEC

#: Gaps between mids (ns) and positive finite prices.
gaps = st.integers(min_value=1, max_value=30 * SEC)
prices = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
paths = st.lists(st.tuples(gaps, prices), min_size=0, max_size=60)
#: Anything a feed could hand over as a price, bad values included.
any_price = st.one_of(
    prices,
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.floats(max_value=0.0),
    st.floats(min_value=1e300, max_value=1.7e308),
    st.floats(min_value=5e-324, max_value=1e-300),
)


def feed(vol: Volatility, path: list[tuple[int, float]], scale: float = 1.0) -> Volatility:
    ts = T0
    for gap, px in path:
        ts += gap
        vol.update(ts, px * scale)
    return vol


@given(paths)
def test_volatility_is_never_negative(path: list[tuple[int, float]]) -> None:
    vol = feed(Volatility(60.0), path)
    assert vol.value >= 0.0 and vol.bipower >= 0.0 and vol.variance >= 0.0


@given(paths, st.integers(min_value=-20, max_value=20))
def test_multiplying_every_price_by_a_power_of_two_changes_nothing(
    path: list[tuple[int, float]], k: int
) -> None:
    a = feed(Volatility(60.0), path)
    b = feed(Volatility(60.0), path, scale=2.0**k)
    assert (a.value, a.bipower, a.observations) == (b.value, b.bipower, b.observations)


@given(paths, st.floats(min_value=1e-3, max_value=1e3))
def test_multiplying_every_price_by_a_constant_changes_nothing_but_rounding(
    path: list[tuple[int, float]], c: float
) -> None:
    a = feed(Volatility(60.0), path)
    b = feed(Volatility(60.0), path, scale=c)
    assert a.observations == b.observations
    assert b.value == pytest.approx(a.value, rel=1e-6, abs=1e-300)
    assert b.bipower == pytest.approx(a.bipower, rel=1e-6, abs=1e-300)


@given(st.lists(gaps, max_size=60), prices)
def test_a_constant_mid_has_zero_volatility(times: list[int], px: float) -> None:
    vol = feed(Volatility(60.0, min_interval_s=0.25, max_gap_s=10.0), [(g, px) for g in times])
    assert vol.value == 0.0 and vol.bipower == 0.0


@given(paths, paths)
def test_snapshot_and_restore_round_trip_exactly(
    before: list[tuple[int, float]], after: list[tuple[int, float]]
) -> None:
    original = feed(Volatility(90.0, min_interval_s=0.5, max_gap_s=20.0), before)
    state = original.snapshot()
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=VolatilityState)
    assert decoded == state
    copy = Volatility(1.0)
    copy.restore(decoded)
    assert copy.snapshot() == state
    # ...and the restored estimator goes on exactly like the original.
    ts = state.ref_ts if state.has_ref else T0
    for gap, px in after:
        ts += gap
        original.update(ts, px)
        copy.update(ts, px)
    assert copy.snapshot() == original.snapshot()


@given(st.lists(st.tuples(st.integers(-5 * SEC, 30 * SEC), any_price), max_size=80))
def test_bad_inputs_are_refused_counted_and_leave_it_finite(steps: list[tuple[int, float]]) -> None:
    vol = Volatility(60.0, max_gap_s=1e6)
    ts = T0
    refused = 0
    for gap, px in steps:
        ts += gap
        bad = not (0.0 < px < math.inf)
        going_back = vol.snapshot().has_ref and ts < vol.snapshot().ref_ts
        ok = vol.update(ts, px)
        assert ok == (not bad and not going_back)
        refused += not ok
    assert vol.rejected == refused
    assert math.isfinite(vol.value) and math.isfinite(vol.bipower) and math.isfinite(vol.confidence)
    assert 0.0 <= vol.confidence < 1.0
    state = vol.snapshot()
    assert msgspec.json.decode(msgspec.json.encode(state), type=VolatilityState) == state


def gbm(sigma: float, times_s: np.ndarray, seed: int, jumps: dict[int, float] | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = np.diff(times_s, prepend=0.0)
    r = sigma * np.sqrt(dt) * rng.standard_normal(len(times_s))
    for i, j in (jumps or {}).items():
        r[i] += j
    return 100.0 * np.exp(np.cumsum(r))


def test_irregular_sampling_is_unbiased() -> None:
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.exponential(0.7, 20_000) + 0.01)
    path = gbm(2e-4, times, seed=2)
    vol = Volatility(3600.0)
    for t, px in zip(times, path, strict=True):
        vol.update(T0 + int(t * SEC), float(px))
    assert vol.value == pytest.approx(2e-4, rel=0.03)
    assert vol.bipower == pytest.approx(2e-4, rel=0.04)
    assert vol.confidence > 0.98


def test_bipower_shrugs_off_a_jump_that_the_ewma_takes_in() -> None:
    times = np.arange(1, 4001) * 0.5
    path = gbm(1e-4, times, seed=3, jumps={3000: 0.01})  # a 100 bp jump
    vol = Volatility(600.0)
    for t, px in zip(times, path, strict=True):
        vol.update(T0 + int(t * SEC), float(px))
    assert vol.value > 2.5e-4  # the jump dominates the realized variance
    assert vol.bipower == pytest.approx(1e-4, rel=0.15)


def test_fast_mids_are_folded_and_long_gaps_restart() -> None:
    vol = Volatility(60.0, min_interval_s=1.0, max_gap_s=10.0)
    vol.update(T0, 100.0)
    vol.update(T0 + SEC // 2, 101.0)  # folded into the next return
    vol.update(T0 + SEC, 100.5)
    assert vol.observations == 1
    assert vol.variance == pytest.approx(math.log(100.5 / 100.0) ** 2 / 1.0)
    vol.update(T0 + 30 * SEC, 120.0)  # a 29 s gap: no return
    assert vol.observations == 1 and vol.snapshot().gaps == 1
    vol.update(T0 + 31 * SEC, 120.0)
    assert vol.observations == 2


def test_invalid_construction_is_refused() -> None:
    for kwargs in ({"half_life_s": 0.0}, {"half_life_s": math.nan}, {"half_life_s": 1.0, "min_interval_s": -1.0},
                   {"half_life_s": 1.0, "max_gap_s": 0.0}):  # fmt: skip
        with pytest.raises(ValueError):
            Volatility(**kwargs)
