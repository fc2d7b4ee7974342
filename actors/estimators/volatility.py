"""Volatility of the mid: sigma of log-returns per sqrt(second), in event time.

Mids arrive at irregular times, so each return ``r`` over ``dt`` seconds is turned into
an instantaneous variance rate ``r**2 / dt`` (unbiased for a diffusion whatever ``dt``)
and averaged by an exponentially weighted mean whose weights decay with event time:
an observation ``dt`` after the last one has weight ``1 - exp(-dt / tau)`` and every
older weight is multiplied by ``exp(-dt / tau)`` (``tau = half_life / ln 2``). The mean is
normalised by the total weight, so there is no start-up bias and a constant mid gives
exactly zero.

The bipower variant averages ``pi/2 * |r_i| |r_{i-1}| / sqrt(dt_i dt_{i-1})`` the same
way: a single jump enters it only through products with its neighbours' diffusive
returns, so it is robust to jumps (Barndorff-Nielsen & Shephard 2004).

Mids closer together than ``min_interval_s`` are folded into the next return, so
microstructure noise of very fast updates does not dominate; a gap longer than
``max_gap_s`` (a feed outage) restarts the returns rather than making one huge return.
Prices must be positive and finite and times must increase; anything else is counted
in ``rejected`` and ignored.
"""

from __future__ import annotations

import math
from typing import Final

from actors.estimators.common import ALMOST_ONE, State

_NS: Final = 1e-9
_HALF_PI: Final = 0.5 * math.pi
_INF: Final = math.inf


class VolatilityState(State, frozen=True):
    """Everything a ``Volatility`` knows, as plain finite numbers."""

    half_life_s: float
    min_interval_s: float
    max_gap_s: float
    has_ref: bool
    ref_ts: int
    ref_price: float
    has_prev_return: bool
    prev_abs_rate: float
    weight: float
    weight_sq: float
    var_sum: float
    bipower_weight: float
    bipower_sum: float
    observations: int
    bipower_observations: int
    rejected: int
    gaps: int


class Volatility:
    """EWMA (and bipower) sigma of mid log-returns, fractional per sqrt(second)."""

    __slots__ = (
        "_half_life_s", "_inv_tau", "_min_interval_ns", "_min_interval_s", "_max_gap_s", "_max_gap_ns",
        "_has_ref", "_ref_ts", "_ref_price", "_has_prev", "_prev_abs_rate", "_w", "_w2", "_s",
        "_bw", "_bs", "_obs", "_bobs", "_rejected", "_gaps",
    )  # fmt: skip

    def __init__(self, half_life_s: float, min_interval_s: float = 0.0, max_gap_s: float = _INF) -> None:
        if not (half_life_s > 0.0 and math.isfinite(half_life_s)):
            raise ValueError(f"half_life_s must be positive and finite, got {half_life_s!r}")
        if not (min_interval_s >= 0.0 and math.isfinite(min_interval_s)):
            raise ValueError(f"min_interval_s must be finite and >= 0, got {min_interval_s!r}")
        if not max_gap_s > 0.0:
            raise ValueError(f"max_gap_s must be positive, got {max_gap_s!r}")
        self._half_life_s = half_life_s
        self._inv_tau = math.log(2.0) / half_life_s
        self._min_interval_s = min_interval_s
        self._min_interval_ns = max(1, round(min_interval_s * 1e9))
        self._max_gap_s = max_gap_s
        self._max_gap_ns = max_gap_s * 1e9
        self._has_ref = False
        self._ref_ts = 0
        self._ref_price = 0.0
        self._has_prev = False
        self._prev_abs_rate = 0.0  # |r| / sqrt(dt) of the previous return
        self._w = 0.0  # total weight
        self._w2 = 0.0  # total squared weight (effective sample size)
        self._s = 0.0  # weighted sum of r^2 / dt
        self._bw = 0.0
        self._bs = 0.0
        self._obs = 0
        self._bobs = 0
        self._rejected = 0
        self._gaps = 0

    def update(self, ts: int, price: float) -> bool:
        """Observe the mid ``price`` at event time ``ts`` (ns); False when it is refused."""
        if not (0.0 < price < _INF):
            self._rejected += 1
            return False
        if not self._has_ref:
            self._has_ref = True
            self._ref_ts = ts
            self._ref_price = price
            return True
        elapsed = ts - self._ref_ts
        if elapsed < self._min_interval_ns:
            if elapsed < 0:
                self._rejected += 1
                return False
            return True  # folded into the next return
        if elapsed > self._max_gap_ns:
            self._gaps += 1
            self._ref_ts = ts
            self._ref_price = price
            self._has_prev = False
            return True
        dt = elapsed * _NS
        ratio = price / self._ref_price
        # The ratio keeps a power-of-two rescaling exact; far apart prices overflow it.
        r = math.log(ratio) if 0.0 < ratio < _INF else math.log(price) - math.log(self._ref_price)
        self._ref_ts = ts
        self._ref_price = price
        decay = math.exp(-dt * self._inv_tau)
        alpha = 1.0 - decay
        rate = r * r / dt
        self._w = self._w * decay + alpha
        self._w2 = self._w2 * decay * decay + alpha * alpha
        self._s = self._s * decay + alpha * rate
        self._obs += 1
        abs_rate = abs(r) / math.sqrt(dt)
        if self._has_prev:
            self._bw = self._bw * decay + alpha
            self._bs = self._bs * decay + alpha * _HALF_PI * abs_rate * self._prev_abs_rate
            self._bobs += 1
        self._has_prev = True
        self._prev_abs_rate = abs_rate
        return True

    @property
    def value(self) -> float:
        """EWMA sigma per sqrt(second); 0.0 before the first return."""
        return math.sqrt(self._s / self._w) if self._w > 0.0 else 0.0

    @property
    def variance(self) -> float:
        """EWMA variance rate per second."""
        return self._s / self._w if self._w > 0.0 else 0.0

    @property
    def bipower(self) -> float:
        """Jump-robust bipower sigma per sqrt(second); 0.0 before two returns."""
        return math.sqrt(self._bs / self._bw) if self._bw > 0.0 else 0.0

    @property
    def observations(self) -> int:
        """Returns averaged so far."""
        return self._obs

    @property
    def effective_observations(self) -> float:
        """Kish effective sample size of the weights still in the average."""
        return self._w * self._w / self._w2 if self._w2 > 0.0 else 0.0

    @property
    def confidence(self) -> float:
        """1 / (1 + cv) of the sigma estimate, cv ~ 1 / sqrt(2 n_eff); 0 with no data."""
        n = self.effective_observations
        if n <= 0.0:
            return 0.0
        return min(1.0 / (1.0 + 1.0 / math.sqrt(2.0 * n)), ALMOST_ONE)

    @property
    def rejected(self) -> int:
        """Refused inputs (non-positive or non-finite prices, time going backwards)."""
        return self._rejected

    def snapshot(self) -> VolatilityState:
        return VolatilityState(
            half_life_s=self._half_life_s,
            min_interval_s=self._min_interval_s,
            max_gap_s=self._max_gap_s if math.isfinite(self._max_gap_s) else 1e300,
            has_ref=self._has_ref,
            ref_ts=self._ref_ts,
            ref_price=self._ref_price,
            has_prev_return=self._has_prev,
            prev_abs_rate=self._prev_abs_rate,
            weight=self._w,
            weight_sq=self._w2,
            var_sum=self._s,
            bipower_weight=self._bw,
            bipower_sum=self._bs,
            observations=self._obs,
            bipower_observations=self._bobs,
            rejected=self._rejected,
            gaps=self._gaps,
        )

    def restore(self, state: VolatilityState) -> None:
        """Become exactly the estimator that took ``state``."""
        self.__init__(state.half_life_s, state.min_interval_s, state.max_gap_s)  # type: ignore[misc]
        self._has_ref = state.has_ref
        self._ref_ts = state.ref_ts
        self._ref_price = state.ref_price
        self._has_prev = state.has_prev_return
        self._prev_abs_rate = state.prev_abs_rate
        self._w = state.weight
        self._w2 = state.weight_sq
        self._s = state.var_sum
        self._bw = state.bipower_weight
        self._bs = state.bipower_sum
        self._obs = state.observations
        self._bobs = state.bipower_observations
        self._rejected = state.rejected
        self._gaps = state.gaps
