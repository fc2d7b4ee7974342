"""The estimators' learned state as one snapshot: what a checkpoint saves and a warm
start restores (actors.checkpoint).

Part of the estimators actor (actors.estimators.actor), which owns the state. Pending
markouts, live levels and the recent market are not part of it: they belong to the
session that saw the fills.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.estimators.adverse_selection import AdverseSelectionState
from actors.estimators.calibration import CalibrationState, WarmupState
from actors.estimators.common import State
from actors.estimators.fill_rate import FillRateState
from actors.estimators.kappa import KappaState, RegimeKappaState
from actors.estimators.kelly import KellyState
from actors.estimators.regime import RegimeState
from actors.estimators.volatility import VolatilityState

if TYPE_CHECKING:
    from actors.estimators.actor import EstimatorsActor


class EstimatorsSnapshot(State, frozen=True):
    """Every estimator's state, plus the actor's running features (for checkpoints)."""

    volatility: VolatilityState
    fast_volatility: VolatilityState
    kappa_own: KappaState
    kappa_market: KappaState
    kappa_regimes: RegimeKappaState
    adverse: AdverseSelectionState
    regime: RegimeState
    fill_rate: FillRateState
    kelly: KellyState
    calibration: CalibrationState
    warmup: WarmupState
    mean_notional: float
    flow_buy: float
    flow_sell: float
    intensity_count: float
    intensity_time: float
    rejected: int


def take_snapshot(actor: EstimatorsActor) -> EstimatorsSnapshot:
    """Every estimator's state (a msgspec struct that round-trips through JSON)."""
    flow = actor._flow
    return EstimatorsSnapshot(
        volatility=actor.volatility.snapshot(),
        fast_volatility=actor.fast_volatility.snapshot(),
        kappa_own=actor.kappa_own.snapshot(),
        kappa_market=actor.kappa_market.snapshot(),
        kappa_regimes=actor.kappa_regimes.snapshot(),
        adverse=actor.adverse.snapshot(),
        regime=actor.regime.snapshot(),
        fill_rate=actor.fill_rate.snapshot(),
        kelly=actor.kelly.snapshot(),
        calibration=actor.calibration.snapshot(),
        warmup=actor.warmup.snapshot(),
        mean_notional=actor._mean_notional,
        flow_buy=flow.buy,
        flow_sell=flow.sell,
        intensity_count=flow.intensity_count,
        intensity_time=flow.intensity_time,
        rejected=actor._rejected,
    )


def restore_snapshot(actor: EstimatorsActor, state: EstimatorsSnapshot) -> None:
    """Take over every estimator's state from ``state``."""
    actor.volatility.restore(state.volatility)
    actor.fast_volatility.restore(state.fast_volatility)
    actor.kappa_own.restore(state.kappa_own)
    actor.kappa_market.restore(state.kappa_market)
    actor.kappa_regimes.restore(state.kappa_regimes)
    actor.adverse.restore(state.adverse)
    actor.regime.restore(state.regime)
    actor.fill_rate.restore(state.fill_rate)
    actor.kelly.restore(state.kelly)
    actor.calibration.restore(state.calibration)
    actor.warmup.restore(state.warmup)
    actor._mean_notional = state.mean_notional
    flow = actor._flow
    flow.buy = state.flow_buy
    flow.sell = state.flow_sell
    flow.intensity_count = state.intensity_count
    flow.intensity_time = state.intensity_time
    actor._rejected = state.rejected
