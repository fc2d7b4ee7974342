"""The regimes of the synthetic market and the Markov chain that switches between them.

Each regime is a set of true parameters. The configuration gives the base values (the
trending regime is the reference, "normal" market); the other regimes scale them, so
that one knob (say ``base_trade_rate``) moves the whole market consistently.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

import attrs

from actors.config import SyntheticSection

QUIET: Final = 0
TRENDING: Final = 1
VOLATILE: Final = 2
REGIME_NAMES: Final = ("quiet", "trending", "volatile")

#: Where a regime goes when it ends (rows: from; columns: to; the diagonal is zero
#: because the holding time is drawn separately). Quiet markets more often start to
#: trend than blow up; a volatile spell mostly calms down.
TRANSITIONS: Final = (
    (0.0, 0.6, 0.4),
    (0.5, 0.0, 0.5),
    (0.6, 0.4, 0.0),
)

#: Probability that a trending regime's aggressor trades with the trend: the flow that
#: pushes the price also shows as side imbalance.
TREND_BUY_PROBABILITY: Final = 0.62

#: Per-regime multipliers (quiet, trending, volatile) of the configured base values:
#: busy markets trade more, move more, quote wider and thinner, and trade bigger.
_RATE: Final = (0.4, 1.0, 4.0)
_SIGMA: Final = (0.6, 1.0, 2.5)
_HALF_SPREAD: Final = (1.0, 1.5, 3.0)
_DEPTH: Final = (1.2, 1.0, 0.5)
#: Makers requote faster in a fast market: without it the volatile book's touch would
#: stay swept (its flow is ~30x the quiet one's against a thinner book).
_REFILL: Final = (1.0, 1.0, 0.35)
_NOTIONAL: Final = (0.6, 1.0, 2.0)

#: A trade's distance beyond the half-spread is capped at this many mean distances
#: (the tail beyond is ~2e-9) so that every price stays on a known grid.
DISTANCE_CAP: Final = 20.0
#: Nor more than this fraction of the mid, so that a sell always prints well above zero.
MAX_DISTANCE: Final = 0.5


@attrs.frozen
class Regime:
    """The true parameters of one regime (fractions of mid, seconds, USD)."""

    name: str
    #: Stationary mean trade rate per second (the Hawkes baseline is this times 1 - alpha).
    trade_rate: float
    #: Median diffusive volatility, fractional per sqrt(second).
    sigma: float
    #: Order-arrival intensity: trade distance beyond the half-spread is Exp(kappa).
    kappa: float
    #: Distance of the touch from the mid, fraction of mid.
    half_spread: float
    #: Resting notional of the touch level, USD.
    depth_usd: float
    #: e-folding time of the refill of depth taken by trades, seconds.
    refill_s: float
    #: Median notional of a trade, USD (lognormal).
    trade_notional_usd: float
    #: Size of the drift, fraction of mid per second (its sign is drawn on entry).
    drift: float
    #: Share of trades whose own impact moves the mid (they have no foresight).
    informed_fraction: float
    #: A trade ``x`` beyond the touch has foresight with probability 1 - exp(-x / this).
    foresight_depth: float

    @property
    def distance_cap(self) -> float:
        """Largest distance beyond the half-spread a trade prints at."""
        return min(DISTANCE_CAP / self.kappa, MAX_DISTANCE)

    @property
    def foresight_fraction(self) -> float:
        """Share of the trades that trade with foresight: those that are not informed,
        times E[1 - exp(-x / depth)] for x ~ Exp(kappa) (the distance cap is ~20 mean
        distances out and changes nothing)."""
        return (1.0 - self.informed_fraction) / (1.0 + self.kappa * self.foresight_depth)


def regimes_from_config(cfg: SyntheticSection) -> tuple[Regime, Regime, Regime]:
    """The quiet, trending and volatile regimes that ``cfg`` describes."""
    kappas = (cfg.kappa_quiet, cfg.kappa_trending, cfg.kappa_volatile)
    drifts = (0.0, cfg.trend_drift_bps_s * 1e-4, 0.0)
    quiet, trending, volatile = (
        Regime(
            name=REGIME_NAMES[i],
            trade_rate=cfg.base_trade_rate * _RATE[i],
            sigma=cfg.sigma * _SIGMA[i],
            kappa=kappas[i],
            half_spread=cfg.half_spread_bps * 1e-4 * _HALF_SPREAD[i],
            depth_usd=cfg.depth_usd * _DEPTH[i],
            refill_s=cfg.depth_refill_s * _REFILL[i],
            trade_notional_usd=cfg.trade_notional_usd * _NOTIONAL[i],
            drift=drifts[i],
            informed_fraction=cfg.informed_fraction,
            foresight_depth=cfg.foresight_depth_bps * 1e-4,
        )
        for i in range(3)
    )
    return quiet, trending, volatile


class Conditions(NamedTuple):
    """What the simulation loop needs of the current regime, unpacked into its locals."""

    regime: Regime
    drift: float
    buy_prob: float
    mu: float  # Hawkes baseline intensity, per second
    log_sigma_level: float
    inv_kappa: float
    cap: float  # largest trade distance beyond the half-spread
    inv_refill: float


def conditions(
    regimes: tuple[Regime, Regime, Regime], r: int, direction: float, hawkes_alpha: float
) -> Conditions:
    """The loop's values for regime ``r``; ``direction`` (+1 or -1) signs a trend."""
    reg = regimes[r]
    trending = r == TRENDING
    return Conditions(
        regime=reg,
        drift=reg.drift * direction,
        buy_prob=0.5 + (TREND_BUY_PROBABILITY - 0.5) * direction if trending else 0.5,
        mu=reg.trade_rate * (1.0 - hawkes_alpha),
        log_sigma_level=math.log(reg.sigma),
        inv_kappa=1.0 / reg.kappa,
        cap=reg.distance_cap,
        inv_refill=1.0 / reg.refill_s,
    )
