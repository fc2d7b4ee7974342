"""The API headroom gate: the requests a paper session would have sent, against the budget.

Paper mode sends nothing, but a live market maker on Hyperliquid spends its address's
request budget on every order and cancel. What we assume (Hyperliquid's documented
address-based limits of the exchange API, "rate limits and user limits"; the per-IP
limits of ../shared/docs/hyperliquid-market-data.md section 10 bound messages per minute
and do not bind a one-coin quoter at one cycle a second):

* the budget is ``api_initial_requests`` (10,000) plus ``api_requests_per_usd`` (1)
  request per USD of cumulative traded volume: the address's volume before the session
  (``api_prior_volume_usd``) plus the volume of the session's fills;
* every PlaceOrder and every CancelOrder is one request: a batch of n orders counts as n
  against the address limit, so batching does not help;
* cancels are never withheld: the exchange lets an address cancel past its budget (up to
  min(budget + 100,000, 2 x budget)), which a quoter needs to pull its quotes;
* the exchange's throttled allowance (one request per 10 s once the budget is used up) is
  not modelled: at zero headroom the gate sends nothing but cancels.

``headroom = max(budget - requests, 0) / budget``. The quote engine widens its half spread
by ``1 / sqrt(headroom)`` (capped at ``api_max_spread_multiplier``) and, below
``api_inventory_only_below`` (10%), only sends orders that reduce the position. The
widening uses the headroom rounded up to a whole percent, so it changes only when an
ApiHeadroomChanged event says so.
"""

from __future__ import annotations

import math
from typing import Final

import attrs

from actors.config import RiskSection

#: Modes of the gate, as ApiHeadroomChanged reports them.
NORMAL: Final = "normal"
INVENTORY_ONLY: Final = "inventory_only"
EXHAUSTED: Final = "exhausted"


@attrs.define
class ApiBudget:
    """Requests counted against the address budget; pure bookkeeping, no clock."""

    initial: float
    per_usd: float
    prior_volume_usd: float
    inventory_only_below: float
    max_multiplier: float
    places: int = 0
    cancels: int = 0
    volume_usd: float = 0.0
    min_headroom: float = 1.0

    @classmethod
    def from_config(cls, cfg: RiskSection) -> ApiBudget:
        return cls(
            initial=cfg.api_initial_requests,
            per_usd=cfg.api_requests_per_usd,
            prior_volume_usd=cfg.api_prior_volume_usd,
            inventory_only_below=cfg.api_inventory_only_below,
            max_multiplier=cfg.api_max_spread_multiplier,
        )

    # -- counting ---------------------------------------------------------------------

    def count(self, places: int, cancels: int) -> None:
        """Count requests the session would have sent."""
        self.places += places
        self.cancels += cancels

    def add_volume(self, usd: float) -> None:
        """A fill's notional: it earns budget."""
        if usd > 0.0 and math.isfinite(usd):
            self.volume_usd += usd

    # -- figures ------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        return self.places + self.cancels

    @property
    def budget(self) -> float:
        return self.initial + self.per_usd * (self.prior_volume_usd + self.volume_usd)

    @property
    def remaining(self) -> float:
        return max(self.budget - self.requests, 0.0)

    @property
    def headroom(self) -> float:
        """remaining / budget, in [0, 1] (0 when the budget itself is 0)."""
        budget = self.budget
        return self.remaining / budget if budget > 0.0 else 0.0

    @property
    def headroom_pct(self) -> int:
        """The headroom rounded up to a whole percent (0-100): the widening's input."""
        return math.ceil(self.headroom * 100.0 - 1e-9)

    @property
    def spread_multiplier(self) -> float:
        """1 / sqrt(headroom) at whole-percent resolution, capped."""
        pct = self.headroom_pct
        if pct <= 0:
            return self.max_multiplier
        return min(1.0 / math.sqrt(pct / 100.0), self.max_multiplier)

    @property
    def mode(self) -> str:
        if self.remaining < 1.0:
            return EXHAUSTED
        if self.headroom < self.inventory_only_below:
            return INVENTORY_ONLY
        return NORMAL

    def observe(self) -> None:
        """Track the lowest headroom seen (for the summary)."""
        headroom = self.headroom
        if headroom < self.min_headroom:
            self.min_headroom = headroom

    def snapshot(self) -> dict[str, float | int | str]:
        """Plain data of the budget."""
        return {
            "places": self.places,
            "cancels": self.cancels,
            "requests": self.requests,
            "volume_usd": self.volume_usd,
            "budget": self.budget,
            "headroom": self.headroom,
            "min_headroom": min(self.min_headroom, self.headroom),
            "spread_multiplier": self.spread_multiplier,
            "mode": self.mode,
        }
