"""Spread profiles: how wide the quote engine may quote, and how its ladder is spaced.

A profile bounds the *total spread at the touch* (our best ask minus our best bid, in bps
of mid), which is twice the half spread GLFT computes: GLFT still decides, and its half
spread is clamped into the profile's band. The targets are the seed system's:

=========== ==================== =============
profile     total spread, bps    level spacing
=========== ==================== =============
default     40 - 50              1.5
hip3        15 - 25              1.3
aggressive  10 - 20              1.25
glft        unbounded            quote.level_spacing
=========== ==================== =============

``quote.min_spread_bps`` / ``quote.max_spread_bps`` override either bound (-1 keeps the
profile's). The profile's spacing replaces ``quote.level_spacing``, which applies only to
the unbounded ``glft`` profile. The API headroom gate (actors.api_budget) may widen the
spread beyond the profile's upper bound on purpose: that is its job.
"""

from __future__ import annotations

import math
from typing import Final

import attrs
import msgspec

from actors.config import QuoteSection

_BPS: Final = 1e4


@attrs.frozen
class SpreadProfile:
    """Bounds of the total spread at the touch (bps of mid) and the ladder's spacing."""

    name: str
    min_spread_bps: float
    max_spread_bps: float
    #: Geometric ratio between successive levels' distances; None keeps quote.level_spacing.
    level_spacing: float | None

    @property
    def min_half_spread(self) -> float:
        """Lower bound of the half spread, fraction of mid."""
        return self.min_spread_bps / 2.0 / _BPS

    @property
    def max_half_spread(self) -> float:
        """Upper bound of the half spread, fraction of mid (inf when unbounded)."""
        return self.max_spread_bps / 2.0 / _BPS

    def half_spread_band(self, *, warming_up: bool = False) -> tuple[float, float]:
        """The half spread's bounds, fractions of mid: no lower bound while warming up."""
        return (-math.inf if warming_up else self.min_half_spread), self.max_half_spread

    def clamp_half_spread(self, half_spread: float, *, warming_up: bool = False) -> float:
        """GLFT's half spread, clamped into the profile's band (only capped while warming up)."""
        lo, hi = self.half_spread_band(warming_up=warming_up)
        return lo if half_spread < lo else (hi if half_spread > hi else half_spread)


PROFILES: Final[dict[str, SpreadProfile]] = {
    "default": SpreadProfile("default", 40.0, 50.0, 1.5),
    "hip3": SpreadProfile("hip3", 15.0, 25.0, 1.3),
    "aggressive": SpreadProfile("aggressive", 10.0, 20.0, 1.25),
    # Unbounded both ways: a maker rebate may make GLFT's half spread negative (the
    # ladder then rests at the touch), and the reported half spread stays GLFT's own.
    "glft": SpreadProfile("glft", -math.inf, math.inf, None),
}


def resolve_profile(cfg: QuoteSection) -> SpreadProfile:
    """The profile named by ``cfg.spread_profile`` with the explicit bounds applied.

    Raises:
        ValueError: on an unknown profile or a lower bound above the upper one.
    """
    try:
        base = PROFILES[cfg.spread_profile]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"quote.spread_profile: unknown profile {cfg.spread_profile!r} ({known})") from None
    lo = cfg.min_spread_bps if cfg.min_spread_bps >= 0.0 else base.min_spread_bps
    hi = cfg.max_spread_bps if cfg.max_spread_bps >= 0.0 else base.max_spread_bps
    if lo > hi:
        raise ValueError(f"quote spread bounds: min {lo} bps is above max {hi} bps")
    return attrs.evolve(base, min_spread_bps=lo, max_spread_bps=hi)


def ladder_config(cfg: QuoteSection, profile: SpreadProfile) -> QuoteSection:
    """``cfg`` with the profile's ladder spacing (unchanged for the glft profile)."""
    if profile.level_spacing is None or profile.level_spacing == cfg.level_spacing:
        return cfg
    return msgspec.structs.replace(cfg, level_spacing=profile.level_spacing)
