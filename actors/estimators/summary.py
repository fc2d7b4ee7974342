"""The estimators' final figures for the session summary (papermm.summary).

Part of the estimators actor (actors.estimators.actor), which owns the state; summing up
changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors.estimators.common import count_confidence
from actors.estimators.kappa import ASK, BID, blend, harmonic
from actors.estimators.regime import REGIMES

if TYPE_CHECKING:
    from actors.estimators.actor import EstimatorsActor


def summarize(actor: EstimatorsActor) -> dict[str, Any]:
    """Plain data (JSON-ready): every final estimate as ``{"value", "confidence",
    "observations", ...extras}``.

    Confidences are in [0, 1): the posterior's 1 / (1 + cv) for sigma and kappa, the
    most likely regime's probability, 1 / (1 + 1 / sqrt(n)) for count-based estimates,
    and the progress itself for the calibration controller and the warmup. The
    blended kappa is recomputed from the final state, as the next cycle would.
    """
    cfg = actor.cfg
    vol = actor.volatility
    own = actor.kappa_own
    market = actor.kappa_market
    regimes = actor.kappa_regimes
    probs = actor.regime.probabilities
    last = actor.last
    kappa, kappa_conf, own_share = blend(
        harmonic(regimes.side_value(BID, probs), regimes.side_value(ASK, probs)),
        0.5 * (regimes.side_confidence(BID, probs) + regimes.side_confidence(ASK, probs)),
        own, cfg.kappa_own_weight,
    )  # fmt: skip

    def est(value: float, confidence: float, observations: int, **extra: Any) -> dict[str, Any]:
        return {"value": value, "confidence": confidence, "observations": observations, **extra}

    sigma = last.sigma if last is not None else actor._sigma_prior
    fill_rate = actor.fill_rate
    adverse = actor.adverse
    regime = actor.regime
    kelly = actor.kelly
    calibration = actor.calibration
    warmup = actor.warmup
    return {
        "estimates_emitted": actor._emitted,
        "sigma": est(sigma, vol.confidence, vol.observations, ewma=vol.value, bipower=vol.bipower,
                     estimator=cfg.vol_estimator),
        "kappa": est(kappa, kappa_conf, own.observations + market.observations, own_share=own_share,
                     floor=warmup.floor),
        "kappa_own": est(own.value, own.confidence, own.observations),
        "kappa_market": est(market.value, market.confidence, market.observations),
        "kappa_bid": est(regimes.side_value(BID, probs), regimes.side_confidence(BID, probs),
                         regimes.side_observations(BID)),
        "kappa_ask": est(regimes.side_value(ASK, probs), regimes.side_confidence(ASK, probs),
                         regimes.side_observations(ASK)),
        "kappa_regime": dict(zip(REGIMES, regimes.per_regime(), strict=True)),
        "adverse_selection": est(adverse.value, count_confidence(adverse.observations),
                                 adverse.observations, unit="bps", adverse_rate=adverse.adverse_rate,
                                 probability=last.adverse_probability if last is not None else 0.5),
        "regime": est(regime.value, regime.confidence, regime.observations,
                      probabilities=dict(zip(REGIMES, probs, strict=True))),
        "fill_rate": est(dict(zip((f"{d:g}" for d in fill_rate.depths_bps), fill_rate.probabilities, strict=True)),
                         fill_rate.confidence, fill_rate.observations, unit="P(fill) by depth bps"),
        "kelly": est(kelly.value, kelly.confidence, kelly.observations, win_rate=kelly.win_rate),
        "calibration": est(calibration.value, calibration.progress, calibration.observations,
                           progress=calibration.progress),
        "warmup": est(warmup.value, warmup.value, warmup.fills,
                      complete=warmup.complete, kappa_floor=warmup.floor,
                      floor_observations=warmup.observations, own_fill_rate=warmup.fill_rate),
        "rejected_inputs": actor.rejected,
    }  # fmt: skip
