"""The calibration controller, warmup progress and the graduated (no catch-22) kappa floor."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.estimators.calibration import CalibrationController, CalibrationState, Warmup, WarmupState

SEC = 1_000_000_000
counts = st.integers(min_value=0, max_value=10_000)


@given(counts, counts, counts, counts)
def test_cal_gamma_rises_from_0_3_to_1_with_progress(a1: int, k1: int, a2: int, k2: int) -> None:
    lo, hi = sorted([(a1, k1), (a2, k2)], key=lambda c: c[0] + c[1])
    c = CalibrationController(0.3, 1.0, 50, 50)
    assert c.progress == 0.0 and c.value == 0.3
    c.update(*lo)
    p_lo, g_lo = c.progress, c.value
    assert 0.0 <= p_lo <= 1.0 and 0.3 <= g_lo <= 1.0
    assert g_lo == pytest.approx(0.3 + 0.7 * p_lo)
    c.update(max(lo[0], hi[0]), max(lo[1], hi[1]))
    assert c.progress >= p_lo and c.value >= g_lo


def test_progress_is_the_mean_of_adverse_and_kappa_progress() -> None:
    c = CalibrationController(0.3, 1.0, adverse_target=100, kappa_target=50)
    c.update(25, 50)
    assert c.progress == pytest.approx((0.25 + 1.0) / 2)
    c.update(500, 500)
    assert c.progress == 1.0 and c.value == 1.0
    assert not c.update(-1, 0)
    state = c.snapshot()
    assert msgspec.json.decode(msgspec.json.encode(state), type=CalibrationState) == state


def test_warmup_weights_and_relaxed_targets() -> None:
    # A slow rate EWMA (tau = 5194 s): five fills are 0.001 /s, scarce.
    w = Warmup(floor_kappa=8000.0, scarce_fill_rate=0.005, rate_half_life_s=3600.0, targets=(20, 10, 10, 5))
    w.update(0, 0.0)
    for _ in range(5):
        w.on_fill(1.0)  # five fills while the floor is in force: floor obs and kappa fills
    w.update(SEC, 0.5)
    assert w.scarce
    # Relaxed targets (10 floor obs, 5 fills).
    assert w.value == pytest.approx(0.4 * 5 / 10 + 0.4 * 5 / 5 + 0.2 * 0.5)
    for _ in range(30):
        w.on_fill(1.0)
    w.update(2 * SEC, 0.5)
    assert not w.scarce
    # Plentiful: targets (20, 10), both reached.
    assert w.value == pytest.approx(0.4 + 0.4 + 0.2 * 0.5)


def test_progress_does_not_go_back_when_the_targets_tighten() -> None:
    w = Warmup(floor_kappa=8000.0, scarce_fill_rate=0.005, rate_half_life_s=3600.0, targets=(20, 10, 10, 5))
    w.update(0, 0.0)
    for _ in range(5):
        w.on_fill(1.0)
    w.update(SEC, 0.0)
    relaxed = w.value
    assert relaxed == pytest.approx(0.4 * 5 / 10 + 0.4 * 5 / 5)
    w.on_fill(1.0)
    w.update(2 * SEC, 0.0)  # 6 fills: 0.00116 /s, still scarce
    assert w.value == pytest.approx(0.4 * 6 / 10 + 0.4)
    # The same state with a lower scarcity threshold: fills are plentiful, the targets
    # (20, 10) would give 0.4 * 6/20 + 0.4 * 6/10 = 0.36, but progress stays.
    w2 = Warmup()
    w2.restore(msgspec.structs.replace(w.snapshot(), scarce_fill_rate=0.001))
    w2.update(3 * SEC, 0.0)
    assert not w2.scarce and w2.value == w.value


def test_the_floor_tightens_while_fills_are_scarce_and_relaxes_when_they_come() -> None:
    w = Warmup(floor_kappa=8000.0, floor_max_kappa=64_000.0, doubling_s=60.0, scarce_fill_rate=0.005)
    w.update(0, 0.0)
    assert w.floor == 8000.0
    w.update(60 * SEC, 0.0)  # a minute without a fill: the spread cap halves
    assert w.floor == pytest.approx(16_000.0)
    w.update(600 * SEC, 0.0)  # and keeps tightening, up to the cap
    assert w.floor == 64_000.0
    for _ in range(3):
        w.on_fill(1.0)
    w.update(601 * SEC, 0.0)
    assert not w.scarce
    level = w.level
    w.update(661 * SEC, 0.0)  # fills come: the level halves back each doubling time...
    assert w.level == pytest.approx(level / 2, rel=0.01)
    w.update(100_000 * SEC, 0.0)  # ...but not below where it started
    assert w.level >= 8000.0


def test_the_floor_fades_with_progress_and_is_lifted_when_warm() -> None:
    w = Warmup(floor_kappa=8000.0, targets=(20, 10, 10, 5))
    w.update(0, 0.0)
    for _ in range(10):
        w.on_fill(1.0)
    w.update(SEC, 0.0)
    assert 0.0 < w.value < 1.0
    assert w.floor == pytest.approx(w.level * (1.0 - w.value))
    for _ in range(30):
        w.on_fill(1.0)
    w.update(2 * SEC, 1.0)
    assert w.value == 1.0 and w.complete and w.floor == 0.0
    floor_obs = w.observations
    w.on_fill(1.0)  # fills after the warmup are not floor observations
    assert w.observations == floor_obs == 40


@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 3), st.floats(0.0, 1.0)), max_size=60))
def test_warmup_progress_never_decreases_and_stays_in_0_1(steps: list[tuple[int, int, float]]) -> None:
    w = Warmup()
    ts = 0
    last = 0.0
    cal = 0.0
    for gap, fills, cal_step in steps:
        ts += gap * SEC
        for _ in range(fills):
            w.on_fill(1.0)
        cal = max(cal, cal_step)
        w.update(ts, cal)
        assert 0.0 <= w.value <= 1.0 and w.value >= last
        assert 0.0 <= w.floor <= 64_000.0
        last = w.value
    state = w.snapshot()
    assert isinstance(state, msgspec.Struct)
    decoded = msgspec.json.decode(msgspec.json.encode(state), type=WarmupState)
    assert decoded == state
    copy = Warmup()
    copy.restore(decoded)
    assert copy.snapshot() == state


def test_bad_fills_are_refused_and_counted() -> None:
    w = Warmup()
    assert not w.on_fill(float("nan")) and not w.on_fill(-1.0) and not w.on_fill(float("inf"))
    assert w.rejected == 3 and w.fills == 0


def test_a_disabled_floor_counts_every_fill_as_a_floor_observation() -> None:
    w = Warmup(floor_kappa=0.0, floor_max_kappa=0.0)
    w.update(0, 0.0)
    w.on_fill(1.0)
    w.update(60 * SEC, 0.0)
    assert w.floor == 0.0 and w.observations == 1


@given(st.lists(st.tuples(st.integers(-5, 120), st.integers(0, 3), st.floats(-0.5, 1.5)), max_size=40))
def test_a_look_at_the_warmup_is_what_the_update_would_give_and_changes_nothing(
    steps: list[tuple[int, int, float]],
) -> None:
    # The Estimates of a warm start are a look at the warmup as of their time, while the
    # warmup itself stays as injected: the look and the update must agree exactly.
    w = Warmup()
    ts = 0
    for gap, fills, cal in steps:
        ts += gap * SEC
        for _ in range(fills):
            w.on_fill(1.0)
        before = w.snapshot()
        view = w.at(ts, cal)
        assert w.snapshot() == before
        w.update(ts, cal)
        assert (view.progress, view.floor, view.fill_rate) == (w.value, w.floor, w.fill_rate)
        assert w.at(ts, cal) == view  # looking again at the same time: the same


@given(counts, counts)
def test_the_calibration_of_counts_is_what_taking_them_gives(adverse: int, kappa: int) -> None:
    c = CalibrationController(0.3, 1.0, 50, 40)
    progress = c.progress_for(adverse, kappa)
    assert c.progress == 0.0  # nothing taken
    c.update(adverse, kappa)
    assert (progress, c.gamma_for(progress)) == (c.progress, c.value)
