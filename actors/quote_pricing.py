"""The quote engine's pricing: GLFT within the spread profile, then the ladder.

Sigma and kappa start at the configured priors and follow the estimators' Estimates once
usable; gamma is the configured one times the calibration controller's cal_gamma. GLFT's
half spread is clamped into the spread profile's band (actors.spread_profiles), then
widened by the API headroom gate (actors.api_budget) and, after a warm start from a prior
that is not Ready, by the defensive spread factor. The ladder is built around the touch
with the inventory skew (actors.ladder). Until the estimators' warmup completes, the
profile's minimum spread yields to GLFT and the warmup kappa floor.
"""

from __future__ import annotations

import math

import attrs
import msgspec

from actors.assets import sz_decimals_for
from actors.config import FeesSection, QuoteSection
from actors.glft import GlftQuote, glft_quote
from actors.ladder import Touch, base_size, build_ladder
from actors.spread_profiles import SpreadProfile, ladder_config, resolve_profile
from events import Estimates, PriorInjected, QuoteLevel


@attrs.define(eq=False)
class QuotePricing:
    """The model the engine quotes with (sigma, kappa, gamma, the profile) and its ladder."""

    profile: SpreadProfile
    #: The quote settings the ladder is built from: the profile's spacing, gamma times
    #: cal_gamma, and the order size of a defensive start.
    cfg: QuoteSection
    maker_fee: float
    sz_decimals: int
    sigma: float
    kappa: float
    base_gamma: float  # times the calibration controller's cal_gamma
    defensive_spread: float = 1.0  # > 1 after a warm start from a prior that is not Ready
    warming_up: bool = False  # set from Estimates.warmup; priors alone never relax the profile
    estimates_used: int = 0

    @classmethod
    def from_config(cls, quote: QuoteSection, fees: FeesSection, asset: str) -> QuotePricing:
        profile = resolve_profile(quote)
        return cls(
            profile=profile,
            cfg=ladder_config(quote, profile),
            maker_fee=fees.maker,
            sz_decimals=sz_decimals_for(asset, quote.sz_decimals),
            sigma=quote.sigma_prior,
            kappa=quote.kappa_prior,
            base_gamma=quote.gamma,
        )

    def on_estimates(self, est: Estimates) -> None:
        """Take the usable estimates of ``est``."""
        # Each estimate replaces the current value only when usable, so a warming-up
        # estimator that reports 0 or NaN leaves the prior (or the last good value).
        # The warmup kappa floor bounds kappa from below (it caps the half spread while
        # kappa is being learned); cal_gamma multiplies the configured gamma.
        used = False
        # Until warmup completes, the profile's minimum spread yields to GLFT and the
        # warmup floor: learning needs fills, and a floor that keeps quotes out of reach
        # of the flow is the catch-22 the estimators exist to avoid.
        self.warming_up = est.warmup < 1.0
        if est.sigma > 0.0 and math.isfinite(est.sigma):
            self.sigma = est.sigma
            used = True
        if est.kappa > 0.0 and math.isfinite(est.kappa):
            floor = est.kappa_floor
            self.kappa = floor if est.kappa < floor < math.inf else est.kappa
            used = True
        if est.cal_gamma > 0.0 and math.isfinite(est.cal_gamma):
            gamma = self.base_gamma * est.cal_gamma
            if gamma != self.cfg.gamma:
                self.cfg = msgspec.structs.replace(self.cfg, gamma=gamma)
            used = True
        if used:
            self.estimates_used += 1

    def on_prior(self, prior: PriorInjected) -> None:
        """A warm start from a prior that is not Ready quotes defensively for the whole
        session: wider by spread_factor, smaller by size_factor (actors.checkpoint)."""
        if prior.defensive:
            self.defensive_spread = prior.spread_factor
            notional = self.cfg.order_notional_usd * prior.size_factor
            self.cfg = msgspec.structs.replace(self.cfg, order_notional_usd=notional)

    def ladder(
        self, touch: Touch, position: float, spread_multiplier: float
    ) -> tuple[GlftQuote, tuple[QuoteLevel, ...], tuple[float, float]]:
        """The cycle's GLFT quote (its half spread as quoted), the ladder the model wants
        around ``touch``, and the profile's band of the total spread at the touch in price,
        both widened by the API gate's ``spread_multiplier`` and a defensive start."""
        cfg = self.cfg
        szd = self.sz_decimals
        profile = self.profile
        mid = touch.mid
        glft = glft_quote(
            gamma=cfg.gamma,
            arrival_a=cfg.arrival_a,
            delta=cfg.delta,
            sigma=self.sigma,
            kappa=self.kappa,
            maker_fee=self.maker_fee,
        )
        # GLFT decides within the profile's band; the API gate widens beyond it.
        half_spread = profile.clamp_half_spread(glft.half_spread, warming_up=self.warming_up)
        half_spread *= spread_multiplier * self.defensive_spread
        quote = attrs.evolve(glft, half_spread=half_spread) if half_spread != glft.half_spread else glft
        lot = base_size(cfg, mid, szd)
        inventory_lots = position / lot if lot > 0.0 else 0.0
        candidates = build_ladder(
            cfg,
            touch,
            quote,
            inventory_lots=inventory_lots,
            lot_size=lot,
            kappa=self.kappa,
            sz_decimals=szd,
        )
        # The profile's band as the half spread above got it, widened by the same gates;
        # the total spread at the touch is twice the half spread, in price.
        lo, hi = profile.half_spread_band(warming_up=self.warming_up)
        widen = 2.0 * spread_multiplier * self.defensive_spread * mid
        return quote, candidates, (lo * widen, hi * widen)
