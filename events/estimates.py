"""What the estimators learned."""

from __future__ import annotations

from events.base import Event


class Estimates(Event, frozen=True):
    """Every estimator's value with its confidence and observation count, once per quote cycle.

    Units: sigma is fractional per sqrt(second); kappa is 1/(fractional distance from mid)
    (the GLFT half spread is about 1/kappa); bps are of the mid; depths are bps from the
    mid. Confidences are in [0, 1). Regimes are in the order quiet, normal, volatile,
    cascade. The fields after ``warmup`` have neutral defaults (no floor, gamma multiplier
    1), so a test can build an Estimates from the essentials alone.
    """

    #: Volatility the quote engine should use (the prior until enough returns).
    sigma: float
    sigma_obs: int
    #: Blended kappa: the regime- and side-blended market estimate mixed with the own-fill one.
    kappa: float
    kappa_confidence: float
    kappa_obs: int
    #: EWMA of realized adverse selection at the markout horizon, bps (+ = against us).
    adverse_selection_bps: float
    #: The most likely regime and the probabilities of all four.
    regime: str
    regime_probs: tuple[float, ...]
    #: P(fill within the horizon) at each of ``fill_rate_depths_bps``; non-increasing.
    fill_rate: tuple[float, ...]
    #: Warmup progress in [0, 1].
    warmup: float
    #: Gamma multiplier of the calibration controller (the quote engine's gamma times it).
    cal_gamma: float = 1.0
    cal_progress: float = 1.0
    #: Warmup kappa floor in force (the quote engine uses max(kappa, kappa_floor)); 0 once lifted.
    kappa_floor: float = 0.0
    sigma_confidence: float = 0.0
    sigma_ewma: float = 0.0
    sigma_bipower: float = 0.0
    kappa_own: float = 0.0
    kappa_own_confidence: float = 0.0
    kappa_own_obs: int = 0
    kappa_market: float = 0.0
    kappa_market_confidence: float = 0.0
    kappa_market_obs: int = 0
    kappa_bid: float = 0.0
    kappa_bid_confidence: float = 0.0
    kappa_bid_obs: int = 0
    kappa_ask: float = 0.0
    kappa_ask_confidence: float = 0.0
    kappa_ask_obs: int = 0
    #: Kappa in force per regime (the regime's prior until it has enough observations).
    kappa_regime: tuple[float, ...] = ()
    #: Predicted P(adverse) of the next fill: the mean of the two sides, then each side.
    adverse_probability: float = 0.5
    adverse_probability_bid: float = 0.5
    adverse_probability_ask: float = 0.5
    adverse_rate: float = 0.0
    adverse_obs: int = 0
    regime_confidence: float = 0.0
    regime_obs: int = 0
    fill_rate_depths_bps: tuple[float, ...] = ()
    fill_rate_obs: int = 0
    kelly_fraction: float = 0.0
    kelly_obs: int = 0
    #: Observed own fills per second (EWMA), which sets the warmup's targets.
    own_fill_rate: float = 0.0
