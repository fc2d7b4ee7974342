"""The verdict at every threshold: one below, at, one above."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.checkpoint.readiness import (
    CORE_ESTIMATORS,
    INSUFFICIENT,
    MARGINAL,
    READY,
    EstimatorCounts,
    assess,
    counts_of,
    thresholds,
)
from actors.config import CheckpointSection

CFG = CheckpointSection()
NEED = thresholds(CFG)
FIELDS = {"volatility": "ready_volatility_obs", "kappa": "ready_kappa_obs", "adverse_selection": "ready_adverse_obs",
          "regime": "ready_regime_obs", "fill_rate": "ready_fill_rate_obs"}  # fmt: skip


def counts(**over: int) -> EstimatorCounts:
    """Every threshold met exactly, then ``over``."""
    base = {**NEED, "kelly": CFG.ready_kelly_fills}
    return EstimatorCounts(**{**base, **over})


def test_the_defaults_are_the_issues() -> None:
    assert NEED == {"volatility": 200, "kappa": 50, "adverse_selection": 100, "regime": 200, "fill_rate": 200}
    assert (CFG.ready_kelly_fills, CFG.ready_session_s, CFG.marginal_estimators) == (20, 1800.0, 3)
    assert tuple(NEED) == CORE_ESTIMATORS


def test_everything_at_its_threshold_is_ready() -> None:
    r = assess(counts(), 1800.0, CFG)
    assert r.verdict == READY and r.estimators_ready == 5 and r.reasons == () and r.lagging == ()


@pytest.mark.parametrize("name", CORE_ESTIMATORS)
@pytest.mark.parametrize(("delta", "verdict"), [(-1, MARGINAL), (0, READY), (1, READY)])
def test_each_estimator_threshold(name: str, delta: int, verdict: str) -> None:
    r = assess(counts(**{name: NEED[name] + delta}), 1800.0, CFG)
    assert r.verdict == verdict
    assert r.estimators_ready == (4 if delta < 0 else 5)
    assert (name in r.lagging) == (delta < 0)
    if delta < 0:
        assert any(
            reason.startswith(f"{name}: {NEED[name] - 1} observations, needs {NEED[name]}")
            for reason in r.reasons
        )


@pytest.mark.parametrize(("delta", "verdict"), [(-1, MARGINAL), (0, READY), (1, READY)])
def test_kelly_fills_threshold(delta: int, verdict: str) -> None:
    r = assess(counts(kelly=CFG.ready_kelly_fills + delta), 1800.0, CFG)
    assert r.verdict == verdict and r.estimators_ready == 5


@pytest.mark.parametrize(("delta", "verdict"), [(-1.0, INSUFFICIENT), (0.0, READY), (1.0, READY)])
def test_session_duration_threshold(delta: float, verdict: str) -> None:
    r = assess(counts(), 1800.0 + delta, CFG)
    assert r.verdict == verdict
    # Below the duration nothing is even Marginal.
    assert assess(counts(regime=0, fill_rate=0), 1800.0 + delta, CFG).verdict == (
        INSUFFICIENT if delta < 0 else MARGINAL
    )


@pytest.mark.parametrize(
    ("converged", "verdict"), [(2, INSUFFICIENT), (3, MARGINAL), (4, MARGINAL), (5, READY)]
)
def test_marginal_needs_three_of_five(converged: int, verdict: str) -> None:
    lagging = {name: NEED[name] - 1 for name in CORE_ESTIMATORS[converged:]}
    r = assess(counts(**lagging), 3600.0, CFG)
    assert r.estimators_ready == converged
    assert r.verdict == verdict


@pytest.mark.parametrize("name", CORE_ESTIMATORS)
def test_thresholds_come_from_config(name: str) -> None:
    cfg = msgspec.structs.replace(CFG, **{FIELDS[name]: 7})
    assert assess(counts(**{name: 6}), 1800.0, cfg).verdict == MARGINAL
    assert assess(counts(**{name: 7}), 1800.0, cfg).verdict == READY


@given(
    obs=st.fixed_dictionaries({name: st.integers(0, 1000) for name in (*CORE_ESTIMATORS, "kelly")}),
    learned=st.floats(0, 10_000),
)
def test_verdict_is_monotone_and_round_trips(obs: dict[str, int], learned: float) -> None:
    c = EstimatorCounts(**obs)
    r = assess(c, learned, CFG)
    assert counts_of(r) == c
    rank = {INSUFFICIENT: 0, MARGINAL: 1, READY: 2}
    more = EstimatorCounts(**{k: v + 1 for k, v in obs.items()})
    assert rank[assess(more, learned + 1, CFG).verdict] >= rank[r.verdict]
    assert (r.verdict == READY) == (not r.reasons)
