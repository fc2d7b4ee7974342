"""The estimators against the synthetic market's recorded truth, and the no-catch-22 demo.

The synthetic market has three regimes (quiet, trending, volatile); the HMM has four
(quiet, normal, volatile, cascade). Agreement maps them as follows:

    synthetic quiet    -> HMM quiet
    synthetic trending -> HMM normal    (the market's ordinary state, with a drift)
    synthetic volatile -> HMM volatile or cascade (a cascade is the HMM's extreme of
                                                   volatile, which the synthetic lacks)

Seeds are chosen by the regime the market starts in: 0 starts quiet, 4 trending,
1 volatile (checked below).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from actors.config import Config, SyntheticSection
from actors.estimators import EstimatorsActor
from actors.estimators.regime import CASCADE, NORMAL, QUIET, VOLATILE, agreement
from actors.synthetic import SyntheticMarket
from actors.synthetic_regimes import regimes_from_config
from events import Estimates, Event, Fill, SyntheticTruth
from events.log import read_events
from tests.e2e.helpers import run_synthetic

SEC = 1_000_000_000
START = {"quiet": 0, "trending": 4, "volatile": 1}
TRUTH_INDEX = {"quiet": 0, "trending": 1, "volatile": 2}
MAPPING = ([QUIET], [NORMAL], [VOLATILE, CASCADE])
#: Regimes that never end within a test.
STEADY = {"mean_regime_s": 1e9}


def market(seed: int, seconds: float, **synthetic: float) -> Iterator[Event]:
    cfg = msgspec.structs.replace(SyntheticSection(), **synthetic)
    return SyntheticMarket(cfg, "BTC", seed, 0, 5).events(int(seconds * SEC))


def estimators() -> EstimatorsActor:
    config = Config()
    return EstimatorsActor(config.estimators, config.quote, config.fees)


@pytest.mark.parametrize("regime", sorted(START))
def test_the_seeds_start_in_the_regime_they_stand_for(regime: str) -> None:
    first = next(e for e in market(START[regime], 1.0) if isinstance(e, SyntheticTruth))
    assert first.regime == regime


@pytest.mark.parametrize("regime", sorted(START))
def test_kappa_from_market_trades_is_within_15pct_of_the_truth_after_2000_trades(regime: str) -> None:
    est = estimators()
    consumed = tuple(est.consumes)
    truth = None
    for event in market(START[regime], 3600.0, **STEADY):
        if isinstance(event, SyntheticTruth):
            truth = event
        elif isinstance(event, consumed) and est.handle(event) and est.kappa_market.observations >= 2000:
            break
    assert truth is not None and truth.regime == regime
    kappa = est.kappa_market.value
    print(
        f"{regime}: kappa from {est.kappa_market.observations} trades {kappa:.0f}, truth {truth.kappa:.0f} "
        f"({kappa / truth.kappa - 1:+.1%})"
    )
    assert est.kappa_market.observations < 2100
    assert kappa == pytest.approx(truth.kappa, rel=0.15)


@pytest.mark.parametrize("regime", sorted(START))
def test_volatility_is_within_10pct_of_the_true_sigma_after_30_minutes_of_a_steady_regime(
    regime: str,
) -> None:
    # Steady: no regime switch and no stochastic volatility around the regime's level.
    est = estimators()
    consumed = tuple(est.consumes)
    truths: list[SyntheticTruth] = []
    last: Estimates | None = None
    for event in market(START[regime], 1800.0, vol_of_vol=0.0, **STEADY):
        if isinstance(event, SyntheticTruth):
            truths.append(event)
        elif isinstance(event, consumed):
            for out in est.handle(event):
                last = out  # type: ignore[assignment]
    assert last is not None and {t.regime for t in truths} == {regime}
    # The truth records total volatility: the diffusion plus the informed trades' impacts
    # at the current trade intensity; its stationary level uses the mean intensity.
    syn = SyntheticSection()
    reg = next(r for r in regimes_from_config(syn) if r.name == regime)
    impact = syn.informed_impact_bps * 1e-4
    sigma = math.sqrt(reg.sigma**2 + reg.trade_rate * syn.informed_fraction * impact**2)
    recorded = math.sqrt(sum(t.sigma**2 for t in truths) / len(truths))
    print(
        f"{regime}: sigma {last.sigma:.4e}, true {sigma:.4e} ({last.sigma / sigma - 1:+.1%}), "
        f"mean of the truth records {recorded:.4e}; bipower {last.sigma_bipower:.4e}"
    )
    assert last.sigma == pytest.approx(sigma, rel=0.10)
    assert last.sigma == pytest.approx(recorded, rel=0.10)


@pytest.mark.parametrize("regime", sorted(START))
def test_the_most_likely_regime_agrees_with_the_truth_after_warmup(regime: str) -> None:
    """Two hours with the default regime switching (mean 300 s); the first 30 minutes
    are the warmup (the HMM's centre is aligned after 200, 600 and 1800 steps)."""
    est = estimators()
    consumed = tuple(est.consumes)
    truth = ""
    seen: list[int] = []
    actual: list[int] = []
    for event in market(START[regime], 7200.0):
        if isinstance(event, SyntheticTruth):
            truth = event.regime
        elif isinstance(event, consumed) and est.handle(event) and event.ts >= 1800 * SEC:
            seen.append(est.regime.most_likely)
            actual.append(TRUTH_INDEX[truth])
    share = agreement(seen, actual, MAPPING)
    print(f"start {regime}: HMM agrees with the truth {share:.1%} of {len(seen)} cycles after warmup")
    assert share >= 0.70


def no_catch_22_overrides() -> dict[str, object]:
    """The default spread profile (40-50 bps at the touch) as a user runs it: until warmup
    completes its minimum yields to GLFT and the warmup floor (actors.quote_engine), which
    is what lets a quiet synthetic market (trading within ~4 bps of the mid) fill us."""
    return {}


@pytest.mark.parametrize("regime", sorted(START))
def test_no_catch_22_learning_gets_fills_within_10_minutes_whatever_the_start(
    regime: str, tmp_path: Path
) -> None:
    result = run_synthetic(tmp_path, 600, seed=START[regime], **no_catch_22_overrides())
    estimates: list[Estimates] = []
    fills = 0
    for event in read_events(result.log_path):
        if isinstance(event, Estimates):
            estimates.append(event)
        elif isinstance(event, Fill):
            fills += 1
    first, last = estimates[0], estimates[-1]
    half = next(e for e in estimates if e.warmup > 0.5)
    print(
        f"start {regime}: {fills} fills; warmup > 50% after {(half.ts - first.ts) / SEC:.0f} s; "
        f"kappa confidence {first.kappa_confidence:.2f} -> {last.kappa_confidence:.2f}, own-fill "
        f"{first.kappa_own_confidence:.2f} -> {last.kappa_own_confidence:.2f}; floor {first.kappa_floor:.0f} -> "
        f"{last.kappa_floor:.0f}"
    )
    assert half.ts - first.ts <= 600 * SEC
    assert last.kappa_confidence > first.kappa_confidence
    assert last.kappa_own_confidence > first.kappa_own_confidence  # learned from our own fills
    assert last.warmup > 0.5


def test_no_catch_22_when_fills_are_fifteen_times_scarcer(tmp_path: Path) -> None:
    """The quiet start with a stingy fill simulator (touch probability 0.02 for 0.3): fills
    come rarely, the floor tightens while they do and the warmup targets relax, and the
    warmup still passes 50% within 10 minutes."""
    result = run_synthetic(tmp_path, 600, seed=START["quiet"], fill__touch_probability=0.02,
                           **no_catch_22_overrides())  # fmt: skip
    estimates = [e for e in read_events(result.log_path) if isinstance(e, Estimates)]
    first, last = estimates[0], estimates[-1]
    print(
        f"scarce fills: {last.kappa_own_obs} fills, warmup {last.warmup:.2f}, floor peaked at "
        f"{max(e.kappa_floor for e in estimates):.0f}"
    )
    assert max(e.kappa_floor for e in estimates) > first.kappa_floor  # tightened while fills were scarce
    assert last.kappa_own_confidence > first.kappa_own_confidence
    assert last.warmup > 0.5
