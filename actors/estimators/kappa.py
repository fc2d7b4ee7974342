"""Kappa, the order-arrival intensity decay, in 1/(fractional distance from mid).

Fills (and trades) at distance ``d`` from the mid arrive with intensity ``A exp(-kappa d)``,
so the distances of what arrives are exponential with rate kappa and the GLFT half spread
is about ``1 / kappa``. With a Gamma(alpha0, beta0) prior on kappa, observing distances
``d_i`` with weights ``w_i`` (the weighted exponential likelihood) gives the conjugate
posterior

    alpha = alpha0 + sum(w)          beta = beta0 + sum(w * d)

with ``alpha0 = prior_strength`` and ``beta0 = prior_strength / prior_mean``; the estimate
is the posterior mean ``alpha / beta`` and its confidence ``1 / (1 + cv)`` where
``cv = 1 / sqrt(alpha)`` is the posterior's coefficient of variation. Sums commute, so the
posterior does not depend on the order of the observations (up to float rounding).

``RegimeKappa`` keeps one such posterior per regime and book side, fed with soft
(regime-probability) weights, and blends them by the current regime probabilities; a
regime whose posterior has less than ``min_weight`` of data contributes its prior.
``blend`` mixes an always-on estimate with the own-fill one, in half-spread (1/kappa)
space, giving the own-fill estimate more say as its confidence grows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, NamedTuple

from actors.estimators.common import ALMOST_ONE, State

BID: Final = 0
ASK: Final = 1
SIDES: Final = ("bid", "ask")


class KappaState(State, frozen=True):
    prior_mean: float
    prior_strength: float
    max_distance: float
    max_weight: float
    weight: float
    weighted_distance: float
    observations: int
    rejected: int


class GammaKappa:
    """Bayesian Gamma-Exponential estimate of kappa from weighted distances."""

    __slots__ = (
        "_prior_mean",
        "_strength",
        "_alpha0",
        "_beta0",
        "_max_d",
        "_max_w",
        "_w",
        "_wd",
        "_obs",
        "_rejected",
    )

    def __init__(
        self,
        prior_mean: float,
        prior_strength: float = 1.0,
        *,
        max_distance: float = 1.0,
        max_weight: float = 1e6,
    ) -> None:
        for name, v in (("prior_mean", prior_mean), ("prior_strength", prior_strength),
                        ("max_distance", max_distance), ("max_weight", max_weight)):  # fmt: skip
            if not (v > 0.0 and math.isfinite(v)):
                raise ValueError(f"{name} must be positive and finite, got {v!r}")
        self._prior_mean = prior_mean
        self._strength = prior_strength
        self._alpha0 = prior_strength
        self._beta0 = prior_strength / prior_mean
        self._max_d = max_distance
        self._max_w = max_weight
        self._w = 0.0
        self._wd = 0.0
        self._obs = 0
        self._rejected = 0

    def update(self, distance: float, weight: float = 1.0) -> bool:
        """Observe one arrival ``distance`` (fraction of mid) from the mid with a volume
        ``weight``; weights above ``max_weight`` count as ``max_weight``. Refuses (and
        counts) a NaN, infinite, negative or implausibly far distance and a weight that is
        not positive and finite."""
        if not (0.0 <= distance <= self._max_d and 0.0 < weight < math.inf):
            self._rejected += 1
            return False
        if weight > self._max_w:
            weight = self._max_w
        self._w += weight
        self._wd += weight * distance
        self._obs += 1
        return True

    def add_batch(self, count: int, weight: float, weighted_distance: float) -> None:
        """Add pre-summed observations (``count`` of them, total ``weight`` and total
        ``weight * distance``), e.g. one quote cycle's trades; the caller validated them."""
        self._w += weight
        self._wd += weighted_distance
        self._obs += count

    @property
    def alpha(self) -> float:
        return self._alpha0 + self._w

    @property
    def beta(self) -> float:
        return self._beta0 + self._wd

    @property
    def value(self) -> float:
        """Posterior mean of kappa, > 0 and finite."""
        return (self._alpha0 + self._w) / (self._beta0 + self._wd)

    @property
    def confidence(self) -> float:
        """1 / (1 + 1 / sqrt(alpha)), in [0, 1); it only grows as observations are added."""
        return min(1.0 / (1.0 + 1.0 / math.sqrt(self._alpha0 + self._w)), ALMOST_ONE)

    @property
    def prior_confidence(self) -> float:
        """The confidence of the prior alone."""
        return min(1.0 / (1.0 + 1.0 / math.sqrt(self._alpha0)), ALMOST_ONE)

    @property
    def prior_mean(self) -> float:
        return self._prior_mean

    @property
    def observations(self) -> int:
        return self._obs

    @property
    def weight(self) -> float:
        """Total weight of the observations (alpha minus the prior's)."""
        return self._w

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> KappaState:
        return KappaState(
            prior_mean=self._prior_mean,
            prior_strength=self._strength,
            max_distance=self._max_d,
            max_weight=self._max_w,
            weight=self._w,
            weighted_distance=self._wd,
            observations=self._obs,
            rejected=self._rejected,
        )

    def restore(self, state: KappaState) -> None:
        self.__init__(  # type: ignore[misc]
            state.prior_mean,
            state.prior_strength,
            max_distance=state.max_distance,
            max_weight=state.max_weight,
        )
        self._w = state.weight
        self._wd = state.weighted_distance
        self._obs = state.observations
        self._rejected = state.rejected

    @classmethod
    def from_snapshot(cls, state: KappaState) -> GammaKappa:
        est = cls(state.prior_mean)
        est.restore(state)
        return est


def harmonic(a: float, b: float) -> float:
    """Harmonic mean: the kappa whose half spread 1/kappa is the mean of the two."""
    return 2.0 / (1.0 / a + 1.0 / b)


class KappaView(NamedTuple):
    """What ``RegimeKappa.evaluate`` gives: each side blended by the regime probabilities."""

    bid: float
    ask: float
    bid_confidence: float
    ask_confidence: float
    per_regime: tuple[float, ...]


class RegimeKappaState(State, frozen=True):
    min_weight: float
    cells: tuple[KappaState, ...]
    side_observations: tuple[int, ...]
    rejected: int


class RegimeKappa:
    """Kappa per regime and side, blended by regime probabilities.

    Cell ``(r, s)`` is a ``GammaKappa`` with the regime's prior; an observation on side
    ``s`` is added to every regime's cell with its weight times that regime's probability.
    """

    __slots__ = ("_priors", "_min_w", "_max_d", "_max_w", "_cells", "_side_obs", "_rejected", "_n")

    def __init__(
        self,
        priors: Sequence[float],
        prior_strength: float = 1.0,
        *,
        min_weight: float = 50.0,
        max_distance: float = 1.0,
        max_weight: float = 1e6,
    ) -> None:
        if not priors:
            raise ValueError("at least one regime prior is needed")
        if not (min_weight >= 0.0 and math.isfinite(min_weight)):
            raise ValueError(f"min_weight must be finite and >= 0, got {min_weight!r}")
        self._priors = tuple(float(p) for p in priors)
        self._n = len(self._priors)
        self._min_w = min_weight
        self._max_d = max_distance
        self._max_w = max_weight
        self._cells = [
            [GammaKappa(p, prior_strength, max_distance=max_distance, max_weight=max_weight) for _ in SIDES]
            for p in self._priors
        ]
        self._side_obs = [0, 0]
        self._rejected = 0

    @property
    def regimes(self) -> int:
        return self._n

    def update(self, side: int, distance: float, weight: float, probs: Sequence[float]) -> bool:
        """One observation on ``side`` (BID or ASK) under regime probabilities ``probs``."""
        if not (
            side in (BID, ASK)
            and 0.0 <= distance <= self._max_d
            and 0.0 < weight < math.inf
            and len(probs) == self._n
            and all(0.0 <= p <= 1.0 for p in probs)
        ):
            self._rejected += 1
            return False
        weight = min(weight, self._max_w)
        self.add_batch(side, 1, weight, weight * distance, probs)
        return True

    def add_batch(
        self, side: int, count: int, weight: float, weighted_distance: float, probs: Sequence[float]
    ) -> None:
        """Pre-summed observations of one side (validated by the caller), soft-assigned."""
        self._side_obs[side] += count
        for r in range(self._n):
            p = probs[r]
            if p > 0.0:
                cell = self._cells[r][side]
                cell._w += p * weight
                cell._wd += p * weighted_distance

    def cell(self, regime: int, side: int) -> GammaKappa:
        return self._cells[regime][side]

    def regime_value(self, regime: int, side: int) -> float:
        """The cell's posterior once it has ``min_weight`` of data, else the regime prior."""
        cell = self._cells[regime][side]
        return cell.value if cell._w >= self._min_w else self._priors[regime]

    def regime_confidence(self, regime: int, side: int) -> float:
        """The cell's confidence once it is in use; 0 while the prior stands in for it."""
        cell = self._cells[regime][side]
        return cell.confidence if cell._w >= self._min_w else 0.0

    def evaluate(self, probs: Sequence[float]) -> KappaView:
        """Both sides' kappa and confidence under ``probs``, and each regime's kappa, in
        one pass (the quote cycle's hot path)."""
        min_w = self._min_w
        sqrt = math.sqrt
        kb = ka = cb = ca = 0.0
        per_regime: list[float] = []
        for r in range(self._n):
            p = probs[r]
            prior = self._priors[r]
            bid, ask = self._cells[r]
            w = bid._w
            if w >= min_w:
                alpha = bid._alpha0 + w
                vb = alpha / (bid._beta0 + bid._wd)
                cb += p * min(1.0 / (1.0 + 1.0 / sqrt(alpha)), ALMOST_ONE)
            else:
                vb = prior
            w = ask._w
            if w >= min_w:
                alpha = ask._alpha0 + w
                va = alpha / (ask._beta0 + ask._wd)
                ca += p * min(1.0 / (1.0 + 1.0 / sqrt(alpha)), ALMOST_ONE)
            else:
                va = prior
            kb += p * vb
            ka += p * va
            per_regime.append(2.0 / (1.0 / vb + 1.0 / va))
        return KappaView(kb, ka, cb, ca, tuple(per_regime))

    def side_value(self, side: int, probs: Sequence[float]) -> float:
        """Kappa of one side, the regimes' values weighted by ``probs``."""
        return sum(probs[r] * self.regime_value(r, side) for r in range(self._n))

    def side_confidence(self, side: int, probs: Sequence[float]) -> float:
        return sum(probs[r] * self.regime_confidence(r, side) for r in range(self._n))

    def side_observations(self, side: int) -> int:
        return self._side_obs[side]

    def per_regime(self) -> tuple[float, ...]:
        """Each regime's kappa in force (harmonic mean of its sides)."""
        return tuple(harmonic(self.regime_value(r, BID), self.regime_value(r, ASK)) for r in range(self._n))

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> RegimeKappaState:
        return RegimeKappaState(
            min_weight=self._min_w,
            cells=tuple(cell.snapshot() for row in self._cells for cell in row),
            side_observations=tuple(self._side_obs),
            rejected=self._rejected,
        )

    def restore(self, state: RegimeKappaState) -> None:
        n = len(state.cells) // 2
        if n < 1 or len(state.cells) != 2 * n or len(state.side_observations) != 2:
            raise ValueError("a regime kappa snapshot needs two cells per regime and two side counts")
        self._n = n
        self._min_w = state.min_weight
        self._cells = [[GammaKappa.from_snapshot(state.cells[2 * r + s]) for s in range(2)] for r in range(n)]
        self._priors = tuple(self._cells[r][0].prior_mean for r in range(n))
        first = state.cells[0]
        self._max_d = first.max_distance
        self._max_w = first.max_weight
        self._side_obs = list(state.side_observations)
        self._rejected = state.rejected


def blend(
    base: float, base_confidence: float, own: GammaKappa, own_weight: float
) -> tuple[float, float, float]:
    """Mix an always-on kappa with the own-fill posterior, in half-spread space.

    The own-fill share is ``own_weight * g`` where ``g`` in [0, 1) is how far the own
    posterior's confidence has risen from its prior's towards 1 (no own fills: ``g = 0``).
    Returns (kappa, confidence, own share); 1/kappa is the share-weighted mean of the two
    half spreads and the confidence the share-weighted mean of the two confidences.
    """
    c0 = own.prior_confidence
    g = (own.confidence - c0) / (1.0 - c0)
    share = own_weight * (g if g > 0.0 else 0.0)
    kappa = 1.0 / ((1.0 - share) / base + share / own.value)
    return kappa, (1.0 - share) * base_confidence + share * own.confidence, share
