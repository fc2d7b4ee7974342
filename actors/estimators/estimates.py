"""What the estimators know at a time: the Estimates event, computed from the state.

Part of the estimators actor (actors.estimators.actor), which owns the state; looking
changes nothing. The fill-rate curve is the one the actor last refitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.estimators.kappa import ASK, BID, blend, harmonic
from actors.estimators.market_features import book_imbalance, vol_ratio
from actors.estimators.regime import REGIMES
from events import Estimates

if TYPE_CHECKING:
    from actors.estimators.actor import EstimatorsActor


def estimates_at(actor: EstimatorsActor, ts: int) -> Estimates:
    """What the estimators know at ``ts``, from the state as it is."""
    cfg = actor.cfg
    probs = actor.regime.probabilities
    # Kappa: regime- and side-blended market estimate, then the own-fill mix.
    regimes = actor.kappa_regimes
    view = regimes.evaluate(probs)
    kb = view.bid
    ka = view.ask
    base_conf = 0.5 * (view.bid_confidence + view.ask_confidence)
    own = actor.kappa_own
    kappa, kappa_conf, _ = blend(harmonic(kb, ka), base_conf, own, cfg.kappa_own_weight)
    adverse = actor.adverse
    calibration = actor.calibration
    cal_progress = calibration.progress_for(adverse.observations, own.observations)
    warmup = actor.warmup.at(ts, cal_progress)
    # Volatility.
    vol = actor.volatility
    sigma_ewma = vol.value
    sigma_bipower = vol.bipower
    sigma = sigma_bipower if actor._use_bipower else sigma_ewma
    if vol.observations < cfg.vol_min_observations or not sigma > 0.0:
        sigma = actor._sigma_prior
    # Adverse selection of the next quotes, each side.
    p_bid, p_ask = adverse.side_probabilities(
        book_imbalance(actor._book, actor._imbalance_levels),
        actor._flow.imbalance(actor._cycle_buy, actor._cycle_sell),
        vol_ratio(vol, actor.fast_volatility),
        probs,
    )
    regime = actor.regime
    market = actor.kappa_market
    fill_rate = actor.fill_rate
    return Estimates(
        ts=ts,
        sigma=sigma,
        sigma_obs=vol.observations,
        kappa=kappa,
        kappa_confidence=kappa_conf,
        kappa_obs=own.observations + market.observations,
        adverse_selection_bps=adverse.value,
        regime=REGIMES[regime.most_likely],
        regime_probs=probs,
        fill_rate=actor._fill_curve,
        warmup=warmup.progress,
        cal_gamma=calibration.gamma_for(cal_progress),
        cal_progress=cal_progress,
        kappa_floor=warmup.floor,
        sigma_confidence=vol.confidence,
        sigma_ewma=sigma_ewma,
        sigma_bipower=sigma_bipower,
        kappa_own=own.value,
        kappa_own_confidence=own.confidence,
        kappa_own_obs=own.observations,
        kappa_market=market.value,
        kappa_market_confidence=market.confidence,
        kappa_market_obs=market.observations,
        kappa_bid=kb,
        kappa_bid_confidence=view.bid_confidence,
        kappa_bid_obs=regimes.side_observations(BID),
        kappa_ask=ka,
        kappa_ask_confidence=view.ask_confidence,
        kappa_ask_obs=regimes.side_observations(ASK),
        kappa_regime=view.per_regime,
        adverse_probability=0.5 * (p_bid + p_ask),
        adverse_probability_bid=p_bid,
        adverse_probability_ask=p_ask,
        adverse_rate=adverse.adverse_rate,
        adverse_obs=adverse.observations,
        regime_confidence=regime.confidence,
        regime_obs=regime.observations,
        fill_rate_depths_bps=fill_rate.depths_bps,
        fill_rate_obs=actor._fill_obs,
        kelly_fraction=actor.kelly.value,
        kelly_obs=actor.kelly.observations,
        own_fill_rate=warmup.fill_rate,
    )
