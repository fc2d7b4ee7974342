"""Guéant's closed-form GLFT quotes (arXiv:1605.01862, eqs 4.6-4.7, with xi = gamma).

With c1 and c2 depending only on the model's parameters,

    c1 = ln(1 + xi*D/k) / (xi*D)
    c2 = sqrt(gamma / (2*A*D*k) * (1 + xi*D/k) ** (k/(xi*D) + 1))
    half spread = c1 + D/2 * sigma * c2          skew per lot = sigma * c2

the optimal quotes around the mid for an inventory of q lots are

    bid = mid * (1 - (half_spread + skew*q))     ask = mid * (1 + (half_spread - skew*q))

Units: kappa ``k`` is per fractional distance from mid, sigma is fractional per
sqrt(second) and ``A`` is per second, so the half spread and the skew are fractions of
mid. The maker fee is a cost of every fill, so it widens the half spread one for one.
"""

from __future__ import annotations

import math

import attrs


@attrs.frozen
class GlftQuote:
    """Half spread (maker fee included) and inventory skew per lot, as fractions of mid."""

    half_spread: float
    skew: float
    c1: float
    c2: float

    def bid_depth(self, q: float) -> float:
        """Distance of the bid below mid for an inventory of ``q`` lots (fraction of mid)."""
        return self.half_spread + self.skew * q

    def ask_depth(self, q: float) -> float:
        """Distance of the ask above mid for an inventory of ``q`` lots (fraction of mid)."""
        return self.half_spread - self.skew * q


def _require_positive(name: str, value: float) -> None:
    # `not value > 0` also catches NaN; infinities would make c1 or c2 silently 0.
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"GLFT {name} must be positive and finite, got {value!r}")


def glft_quote(
    *,
    gamma: float,
    arrival_a: float,
    delta: float,
    sigma: float,
    kappa: float,
    maker_fee: float = 0.0,
) -> GlftQuote:
    """The GLFT half spread and skew for one set of parameters.

    Args:
        gamma: risk aversion (also the xi of Guéant's formula).
        arrival_a: order-arrival scale A, per second.
        delta: lot size D, in base order sizes.
        sigma: volatility, fractional per sqrt(second); 0 gives the pure c1 spread.
        kappa: order-arrival decay k, per fractional distance from mid.
        maker_fee: maker fee rate added to the half spread (negative for a rebate).

    Raises:
        ValueError: on a non-positive or non-finite gamma, A, D or kappa, a negative or
            non-finite sigma, or a non-finite fee; the caller must never quote NaN.
    """
    _require_positive("gamma", gamma)
    _require_positive("arrival_a", arrival_a)
    _require_positive("delta", delta)
    _require_positive("kappa", kappa)
    if not (sigma >= 0.0 and math.isfinite(sigma)):
        raise ValueError(f"GLFT sigma must be finite and non-negative, got {sigma!r}")
    if not math.isfinite(maker_fee):
        raise ValueError(f"maker fee must be finite, got {maker_fee!r}")

    xi_d = gamma * delta
    ratio = xi_d / kappa
    # log1p keeps precision when xi*D << k, the usual case (ratio ~ 1e-3).
    log_base = math.log1p(ratio)
    c1 = log_base / xi_d
    try:
        growth = math.exp((kappa / xi_d + 1.0) * log_base)
    except OverflowError:
        raise ValueError(f"GLFT c2 overflows for gamma={gamma!r}, D={delta!r}, kappa={kappa!r}") from None
    c2 = math.sqrt(gamma / (2.0 * arrival_a * delta * kappa) * growth)
    skew = sigma * c2
    half_spread = c1 + 0.5 * delta * skew + maker_fee
    if not (math.isfinite(half_spread) and math.isfinite(skew)):
        raise ValueError("GLFT quote is not finite for these parameters")
    return GlftQuote(half_spread=half_spread, skew=skew, c1=c1, c2=c2)
