"""Calibration: Brier score and its Murphy decomposition, log loss, equal-count curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import QuoteLevel
from events.outcomes import CalibrationRecord, LevelFill
from replay.calibration import (
    brier_decomposition,
    calibrate,
    calibration_report,
    equal_count_bins,
    log_loss,
    predictions,
    wilson_interval,
)
from tests.conftest import T0

TOL = 1e-12


def test_murphy_decomposition_of_a_hand_computed_example() -> None:
    # Forecast 0.2 twice (one hit), 0.8 twice (two hits): base rate 0.75.
    d = brier_decomposition([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1])
    assert d.brier == pytest.approx((0.04 + 0.64 + 0.04 + 0.04) / 4)  # 0.19
    assert d.reliability == pytest.approx((2 * 0.3**2 + 2 * 0.2**2) / 4)  # 0.065
    assert d.resolution == pytest.approx((2 * 0.25**2 + 2 * 0.25**2) / 4)  # 0.0625
    assert d.uncertainty == pytest.approx(0.75 * 0.25)  # 0.1875
    assert (d.within_variance, d.within_covariance, d.groups, d.n) == (0.0, 0.0, 2, 4)
    assert d.reliability - d.resolution + d.uncertainty == pytest.approx(0.19)


def test_perfect_and_climatological_forecasts() -> None:
    perfect = brier_decomposition([0.0, 1.0, 1.0, 0.0], [0, 1, 1, 0])
    assert (perfect.brier, perfect.reliability) == (0.0, 0.0)
    assert perfect.resolution == perfect.uncertainty == 0.25
    # Always forecasting the base rate: calibrated, but no resolution.
    clim = brier_decomposition([0.5] * 4, [0, 1, 0, 1])
    assert (clim.brier, clim.reliability, clim.resolution, clim.uncertainty) == (0.25, 0.0, 0.0, 0.25)


def test_binned_decomposition_has_the_within_bin_terms_by_hand() -> None:
    # One bin holding forecasts 0.1 and 0.3 with outcomes 0 and 1.
    d = brier_decomposition([0.1, 0.3], [0, 1], bins=1)
    assert d.brier == pytest.approx((0.01 + 0.49) / 2)  # 0.25
    assert d.reliability == pytest.approx((0.2 - 0.5) ** 2)  # 0.09: bin mean 0.2 vs frequency 0.5
    assert d.resolution == 0.0 and d.uncertainty == 0.25
    assert d.within_variance == pytest.approx((0.1**2 + 0.1**2) / 2)  # 0.01
    assert d.within_covariance == pytest.approx(2 * ((-0.1) * (-0.5) + 0.1 * 0.5) / 2)  # 0.1
    assert d.reliability - d.resolution + d.uncertainty + d.within == pytest.approx(d.brier)


def test_log_loss_by_hand_and_clipping() -> None:
    assert log_loss([0.5], [1]) == pytest.approx(math.log(2))
    assert log_loss([0.9, 0.2], [1, 0]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    assert math.isfinite(log_loss([1.0, 0.0], [0, 1]))  # certain and wrong: large, not infinite
    assert math.isnan(log_loss([], []))


def test_empty_and_mismatched_inputs() -> None:
    assert brier_decomposition([], []).n == 0 and math.isnan(brier_decomposition([], []).brier)
    assert equal_count_bins([], []) == ()
    with pytest.raises(ValueError):
        brier_decomposition([0.1, 0.2], [1])
    with pytest.raises(ValueError):
        equal_count_bins([0.1], [1], bins=0)


probabilities = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=300)
@given(
    data=st.lists(
        st.tuples(probabilities | st.sampled_from([0.1, 0.5, 0.9]), st.booleans()), min_size=1, max_size=200
    ),
    bins=st.none() | st.integers(1, 15),
)
def test_decomposition_identity_holds_for_any_forecasts(
    data: list[tuple[float, bool]], bins: int | None
) -> None:
    p = [x for x, _ in data]
    y = [o for _, o in data]
    d = brier_decomposition(p, y, bins)
    assert d.brier == pytest.approx(d.reliability - d.resolution + d.uncertainty + d.within, abs=1e-12)
    if bins is None:  # the classic decomposition: exact with nothing left over
        assert d.within == 0.0
        assert d.brier == pytest.approx(d.reliability - d.resolution + d.uncertainty, abs=1e-12)
    assert d.reliability >= 0.0 and d.resolution >= 0.0 and 0.0 <= d.uncertainty <= 0.25
    assert 0.0 <= d.brier <= 1.0


@settings(max_examples=200)
@given(
    data=st.lists(st.tuples(probabilities, st.booleans()), min_size=1, max_size=300),
    bins=st.integers(1, 12),
)
def test_bins_are_equal_count_ordered_and_cover_every_record(
    data: list[tuple[float, bool]], bins: int
) -> None:
    p = [x for x, _ in data]
    y = [o for _, o in data]
    curve = equal_count_bins(p, y, bins)
    counts = [b.count for b in curve]
    assert len(curve) == min(bins, len(data))
    assert sum(counts) == len(data)
    assert max(counts) - min(counts) <= 1
    for a, b in zip(curve, curve[1:], strict=False):
        assert a.p_max <= b.p_min
    for b in curve:
        assert b.p_min <= b.mean_predicted <= b.p_max
        assert 0.0 <= b.lo95 <= b.observed <= b.hi95 <= 1.0
    assert sum(b.observed * b.count for b in curve) == pytest.approx(sum(y))


def test_wilson_interval() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo < 0.5 < hi and hi - lo < 0.65
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == pytest.approx(1.0)


def test_a_calibrated_model_has_small_reliability_and_a_biased_one_does_not() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(0.0, 1.0, 20_000)
    y = rng.uniform(0.0, 1.0, 20_000) < p
    good = calibrate(p, y)
    bad = calibrate(np.clip(p * 0.5, 0, 1), y)
    assert good.brier.reliability < 0.001 < 0.05 < bad.brier.reliability
    assert [b.count for b in good.bins] == [2000] * 10
    assert all(abs(b.observed - b.mean_predicted) < 0.03 for b in good.bins)


def _record(cycle: int, regime: str, levels: list[tuple[str, float, bool, int]]) -> CalibrationRecord:
    return CalibrationRecord(
        ts=T0 + cycle, cycle=cycle, cycle_ts=T0, horizon_s=30.0, adverse_horizon_s=5.0, mid=100.0,
        spread_bps=1.0, sigma=1e-4, kappa=1000.0, regime=regime, book_imbalance=0.0, half_spread_bps=1.0,
        skew_bps=0.0, position=0.0, predicted_adverse_bps=0.0, p_adverse_bid=0.5, p_adverse_ask=0.5,
        levels=tuple(QuoteLevel(side=s, level=0, px=100.0, sz=1.0, depth_bps=1.0, p_fill=p)  # type: ignore[arg-type]
                     for s, p, _, _ in levels),
        oids=tuple(oid for *_, oid in levels),
        fills=tuple(LevelFill(index=i, fill_ts=T0 + 1, fill_level=0, adverse_bps=0.0)
                    for i, (_, _, f, _) in enumerate(levels) if f),
    )  # fmt: skip


def test_report_groups_by_regime_and_side_and_skips_levels_without_an_order() -> None:
    recs = [
        _record(1, "quiet", [("buy", 0.2, False, 1), ("sell", 0.3, True, 2), ("buy", 0.9, True, 0)]),
        _record(2, "volatile", [("buy", 0.6, True, 3), ("sell", 0.1, False, 4)]),
        _record(3, "", [("sell", 0.4, False, 5)]),
    ]
    assert recs[0].oids == (1, 2, 0) and [f.index for f in recs[0].fills] == [1, 2]
    preds = predictions(recs)
    assert [(p.p, p.filled, p.side) for p in preds] == [
        (0.2, False, "buy"),
        (0.3, True, "sell"),
        (0.6, True, "buy"),
        (0.1, False, "sell"),
        (0.4, False, "sell"),
    ]  # the level no order rested has no outcome
    rep = calibration_report(preds)
    assert rep.overall.n == 5
    assert sorted(rep.by_regime) == ["quiet", "unknown", "volatile"]
    assert {k: v.n for k, v in rep.by_side.items()} == {"buy": 2, "sell": 3}
    assert rep.by_regime["volatile"].observed == 0.5
    as_json = rep.as_dict()
    assert as_json["overall"]["brier"]["n"] == 5 and len(as_json["overall"]["bins"]) == 5
