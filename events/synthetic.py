"""Ground truth of the synthetic market, written to its own log beside the session."""

from __future__ import annotations

from events.base import Event


class SyntheticTruth(Event, frozen=True):
    """The synthetic market's true state from ``ts`` until the next record."""

    regime: str
    sigma: float
    kappa: float
    trade_rate: float
    informed_fraction: float
    mid: float
    #: Share of the trades that know where the diffusion will be at the next news point
    #: and trade that way (0.0 in logs written before it existed).
    foresight_fraction: float = 0.0
