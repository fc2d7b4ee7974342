"""The estimators' per-cycle step: advance the learned state to a quote cycle's time.

Part of the estimators actor (actors.estimators.actor), which owns the state: the step
takes the cycle's trade sums the actor accumulated (and zeroes them), then decays the
flow features, steps the regime HMM and runs the calibration and warmup loops.

**Kappa.** Market trades reach the always-on market posterior in the cycle they print
(as one batch: exact, since the Gamma update only sums), and the per-regime, per-side
posteriors ``kappa_regime_delay_s`` later, soft-assigned with the regime probabilities of
then: the HMM's features lag the market by about their half-life, and a busy regime's
trades credited to a calm one would swamp it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from actors.estimators.kappa import ASK, BID
from events.base import SEC_NS

if TYPE_CHECKING:
    from actors.estimators.actor import EstimatorsActor

#: Time of the last emission, or of the last regime step, before the first one.
NEVER: Final = -(2**63)
#: Floors that keep the regime features' logs finite.
_MIN_SIGMA: Final = 1e-12
_MIN_RATE: Final = 1e-3


def step(actor: EstimatorsActor, ts: int) -> None:
    """Advance the state to the cycle at ``ts`` (the time step runs from the last
    Estimates)."""
    dt = 0.0 if actor._last_emit == NEVER else (ts - actor._last_emit) / SEC_NS
    # The cycle's trades into the market posterior now, the regime cells later.
    n = actor._bid_n + actor._ask_n
    if n:
        actor.kappa_market.add_batch(n, actor._bid_w + actor._ask_w, actor._bid_wd + actor._ask_wd)
        actor._unassigned.append(
            (ts, actor._bid_n, actor._bid_w, actor._bid_wd, actor._ask_n, actor._ask_w, actor._ask_wd)
        )
        actor._bid_n = actor._ask_n = 0
        actor._bid_w = actor._bid_wd = actor._ask_w = actor._ask_wd = 0.0
    # Flow features: decay, then add the cycle.
    flow = actor._flow
    flow.add_cycle(dt, actor._cycle_buy, actor._cycle_sell, actor._cycle_trades)
    actor._cycle_buy = actor._cycle_sell = 0.0
    actor._cycle_trades = 0
    if (
        dt > 0.0
        and flow.intensity_time >= actor._features_warm_s
        and actor.fast_volatility.observations >= 10
    ):
        # Only once the short features have a half-life of data behind them: the
        # first seconds' rates and volatilities would mislead the HMM's alignment.
        step_regime(actor, ts)
    # Trades reach the regime cells once the regime probabilities describe their
    # time: the HMM's features lag the market by about their half-life.
    probs = actor.regime.probabilities
    unassigned = actor._unassigned
    due = ts - actor._regime_delay_ns
    while unassigned and unassigned[0][0] <= due:
        _, bn, bw, bwd, an, aw, awd = unassigned.popleft()
        if bn:
            actor.kappa_regimes.add_batch(BID, bn, bw, bwd, probs)
        if an:
            actor.kappa_regimes.add_batch(ASK, an, aw, awd, probs)
    # Loops: calibration, then warmup (whose gamma progress is the calibration's).
    calibration = actor.calibration
    calibration.update(actor.adverse.observations, actor.kappa_own.observations)
    actor.warmup.update(ts, calibration.progress)


def step_regime(actor: EstimatorsActor, ts: int) -> None:
    """One HMM step on the features as of now."""
    dt = 0.0 if actor._last_step_ts == NEVER else (ts - actor._last_step_ts) / SEC_NS
    actor._last_step_ts = ts
    sigma = actor.fast_volatility.value
    flow = actor._flow
    actor.regime.update(
        math.log(sigma if sigma > _MIN_SIGMA else _MIN_SIGMA),
        math.log(flow.rate + _MIN_RATE),
        flow.imbalance(actor._cycle_buy, actor._cycle_sell),
        dt,
    )
