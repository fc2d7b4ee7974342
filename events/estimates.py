"""What the estimators learned."""

from __future__ import annotations

from events.base import Event


class Estimates(Event, frozen=True):
    """All estimator values with their confidences and observation counts."""

    sigma: float
    sigma_obs: int
    kappa: float
    kappa_confidence: float
    kappa_obs: int
    adverse_selection_bps: float
    regime: str
    regime_probs: tuple[float, ...]
    fill_rate: tuple[float, ...]
    warmup: float
