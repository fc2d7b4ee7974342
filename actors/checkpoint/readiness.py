"""The readiness verdict of a prior: can a later session, or a live system, trust it?

The five core estimators each count as *converged* once they have their configured
number of observations (``[checkpoint] ready_*_obs``): volatility (mid returns), kappa
(own fills), adverse selection (resolved markouts), regime (HMM steps) and fill rate
(quote level outcomes). With ``L`` the market time of learning behind the prior (this
session plus the priors it was warm-started from):

- **Ready**: ``L >= ready_session_s``, all five converged and at least
  ``ready_kelly_fills`` Kelly fills;
- **Marginal**: ``L >= ready_session_s`` and at least ``marginal_estimators`` of the five
  converged (a session warm-started from it quotes defensively);
- **Insufficient**: anything else.

Every threshold is inclusive: a count equal to its threshold meets it.
"""

from __future__ import annotations

from typing import Final

import msgspec

from actors.config import CheckpointSection

READY: Final = "Ready"
MARGINAL: Final = "Marginal"
INSUFFICIENT: Final = "Insufficient"
VERDICTS: Final = (INSUFFICIENT, MARGINAL, READY)
#: The five core estimators, in the order they are reported.
CORE_ESTIMATORS: Final = ("volatility", "kappa", "adverse_selection", "regime", "fill_rate")


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class EstimatorCounts(_Strict, frozen=True):
    """Observation counts of the five core estimators and of the Kelly tracker."""

    volatility: int
    kappa: int
    adverse_selection: int
    regime: int
    fill_rate: int
    kelly: int


class EstimatorReadiness(_Strict, frozen=True):
    """One core estimator: its observations, the threshold, and whether it meets it."""

    name: str
    observations: int
    required: int
    converged: bool


class PriorReadiness(_Strict, frozen=True):
    """The verdict with everything it was decided from."""

    verdict: str
    estimators: tuple[EstimatorReadiness, ...]
    estimators_ready: int
    kelly_fills: int
    kelly_required: int
    learned_s: float
    required_s: float
    #: Why the verdict is not better (empty for Ready).
    reasons: tuple[str, ...]

    @property
    def lagging(self) -> tuple[str, ...]:
        """The core estimators below their threshold."""
        return tuple(e.name for e in self.estimators if not e.converged)


def thresholds(cfg: CheckpointSection) -> dict[str, int]:
    """Observations each core estimator needs, by name."""
    return {
        "volatility": cfg.ready_volatility_obs,
        "kappa": cfg.ready_kappa_obs,
        "adverse_selection": cfg.ready_adverse_obs,
        "regime": cfg.ready_regime_obs,
        "fill_rate": cfg.ready_fill_rate_obs,
    }


def assess(counts: EstimatorCounts, learned_s: float, cfg: CheckpointSection) -> PriorReadiness:
    """The verdict for these counts after ``learned_s`` seconds of market time."""
    required = thresholds(cfg)
    estimators = tuple(
        EstimatorReadiness(name=name, observations=getattr(counts, name), required=need,
                           converged=getattr(counts, name) >= need)
        for name, need in required.items()
    )  # fmt: skip
    ready = sum(e.converged for e in estimators)
    long_enough = learned_s >= cfg.ready_session_s
    kelly_ok = counts.kelly >= cfg.ready_kelly_fills
    reasons: list[str] = []
    if not long_enough:
        reasons.append(f"learned over {learned_s:.0f} s of market time, needs {cfg.ready_session_s:.0f} s")
    for e in estimators:
        if not e.converged:
            reasons.append(f"{e.name}: {e.observations} observations, needs {e.required}")
    if not kelly_ok:
        reasons.append(f"kelly: {counts.kelly} fills, needs {cfg.ready_kelly_fills}")
    if long_enough and ready == len(estimators) and kelly_ok:
        verdict = READY
    elif long_enough and ready >= cfg.marginal_estimators:
        verdict = MARGINAL
    else:
        verdict = INSUFFICIENT
        if long_enough:
            reasons.append(
                f"{ready} of {len(estimators)} core estimators converged, Marginal needs {cfg.marginal_estimators}"
            )
    return PriorReadiness(
        verdict=verdict,
        estimators=estimators,
        estimators_ready=ready,
        kelly_fills=counts.kelly,
        kelly_required=cfg.ready_kelly_fills,
        learned_s=learned_s,
        required_s=cfg.ready_session_s,
        reasons=tuple(reasons),
    )


def counts_of(readiness: PriorReadiness) -> EstimatorCounts:
    """The counts a readiness was decided from (to re-assess under other thresholds)."""
    by_name = {e.name: e.observations for e in readiness.estimators}
    return EstimatorCounts(
        kelly=readiness.kelly_fills, **{name: by_name.get(name, 0) for name in CORE_ESTIMATORS}
    )
