"""Adverse selection: markouts of our fills, a pre-fill classifier and an EWMA in bps.

Every fill becomes a pending markout, resolved on the first mid at or after fill time +
horizon: the mid's move against us, in bps of the mid at the fill, is the realized
adverse selection; the fill was *adverse* when it exceeds the threshold (1 bp by
default). The outcome trains an online logistic regression on features known when the
fill happened, so that it can predict P(adverse) for the next quotes, and feeds an EWMA of
realized adverse selection. Fill time is when the fill happened: for a fill held by
``fill.adverse_fill_ratio`` and logged late, its trade's time (``Fill.trade_ts``), and
the actor resolves it from the mids it kept (actors.estimators.held) if that horizon is
already past when it arrives.

Features (``features()``), signed so that the same weight means the same thing for our
buys and our sells (``sign`` is +1 for a buy fill, -1 for a sell):

0. a constant 1 (the intercept);
1. log of the trade's notional over the typical trade notional;
2. book imbalance ``(bid - ask) / (bid + ask)`` of the top levels, times ``sign``;
3. recent trade-flow imbalance ``(bought - sold) / (bought + sold)``, times ``sign``;
4. log of short-term over long-term volatility;
5-7. the regime probabilities of quiet, volatile and cascade (normal is the baseline).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Final, NamedTuple

from actors.estimators.common import MAX_BPS, State

N_FEATURES: Final = 8
#: Features are clipped to this magnitude so one absurd input cannot wreck the weights.
_FEATURE_CLIP: Final = 10.0
#: Logits are clipped so that the probability stays strictly inside (0, 1) in floats.
_LOGIT_CLIP: Final = 30.0
_BPS: Final = 1e4


def _clip(x: float, lim: float) -> float:
    return lim if x > lim else (-lim if x < -lim else x)


def features(
    sign: float,
    size_ratio: float,
    book_imbalance: float,
    flow_imbalance: float,
    vol_ratio: float,
    probs: Sequence[float],
) -> tuple[float, ...]:
    """The classifier's feature vector for a fill (or quote) on side ``sign``.

    ``size_ratio`` is trade notional over the typical one, ``vol_ratio`` short over long
    volatility; ``probs`` the four regime probabilities (quiet, normal, volatile, cascade).
    """
    size = math.log(size_ratio) if size_ratio > 0.0 else -_FEATURE_CLIP
    vol = math.log(vol_ratio) if vol_ratio > 0.0 else 0.0
    return (
        1.0,
        _clip(size, _FEATURE_CLIP),
        _clip(sign * book_imbalance, 1.0),
        _clip(sign * flow_imbalance, 1.0),
        _clip(vol, _FEATURE_CLIP),
        probs[0],
        probs[2],
        probs[3],
    )


class ClassifierState(State, frozen=True):
    learning_rate: float
    l2: float
    weights: tuple[float, ...]
    observations: int
    positives: int
    rejected: int


class LogisticClassifier:
    """Online logistic regression trained by one SGD step per outcome."""

    __slots__ = ("_lr", "_l2", "_w", "_obs", "_pos", "_rejected")

    def __init__(self, n_features: int = N_FEATURES, learning_rate: float = 0.05, l2: float = 1e-4) -> None:
        if n_features < 1:
            raise ValueError("at least one feature")
        if not (0.0 < learning_rate <= 1.0 and 0.0 <= l2 <= 1.0):
            raise ValueError("learning_rate must be in (0, 1] and l2 in [0, 1]")
        self._lr = learning_rate
        self._l2 = l2
        self._w = [0.0] * n_features
        self._obs = 0
        self._pos = 0
        self._rejected = 0

    def _logit(self, x: Sequence[float]) -> float:
        z = 0.0
        for wi, xi in zip(self._w, x, strict=True):
            z += wi * xi
        return _clip(z, _LOGIT_CLIP)

    def _valid(self, x: Sequence[float]) -> bool:
        return len(x) == len(self._w) and all(-math.inf < xi < math.inf for xi in x)

    def predict(self, x: Sequence[float]) -> float:
        """P(positive | x), strictly inside (0, 1); 0.5 for an unusable ``x``."""
        if not self._valid(x):
            return 0.5
        return 1.0 / (1.0 + math.exp(-self._logit(x)))

    def update(self, x: Sequence[float], positive: bool) -> bool:
        """One SGD step on the log loss (with L2 shrinkage); refuses non-finite features."""
        if not self._valid(x):
            self._rejected += 1
            return False
        xs = [_clip(xi, _FEATURE_CLIP) for xi in x]
        p = 1.0 / (1.0 + math.exp(-self._logit(xs)))
        g = self._lr * ((1.0 if positive else 0.0) - p)
        shrink = 1.0 - self._lr * self._l2
        self._w = [wi * shrink + g * xi for wi, xi in zip(self._w, xs, strict=True)]
        self._obs += 1
        self._pos += positive
        return True

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(self._w)

    @property
    def observations(self) -> int:
        return self._obs

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> ClassifierState:
        return ClassifierState(
            learning_rate=self._lr, l2=self._l2, weights=tuple(self._w), observations=self._obs,
            positives=self._pos, rejected=self._rejected,
        )  # fmt: skip

    def restore(self, state: ClassifierState) -> None:
        self.__init__(len(state.weights), state.learning_rate, state.l2)  # type: ignore[misc]
        self._w = list(state.weights)
        self._obs = state.observations
        self._pos = state.positives
        self._rejected = state.rejected


class AdverseSelectionState(State, frozen=True):
    threshold_bps: float
    ewma_alpha: float
    ewma_sum: float
    ewma_weight: float
    observations: int
    adverse: int
    rejected: int
    classifier: ClassifierState


class AdverseSelection:
    """The classifier plus the EWMA of realized adverse selection (bps, + = against us)."""

    __slots__ = ("_threshold", "_alpha", "_s", "_w", "_obs", "_adverse", "_rejected", "classifier")

    def __init__(
        self,
        threshold_bps: float = 1.0,
        ewma_alpha: float = 0.05,
        learning_rate: float = 0.05,
        l2: float = 1e-4,
    ) -> None:
        if not (threshold_bps >= 0.0 and math.isfinite(threshold_bps)) or not (0.0 < ewma_alpha <= 1.0):
            raise ValueError("threshold_bps must be finite and >= 0, ewma_alpha in (0, 1]")
        self._threshold = threshold_bps
        self._alpha = ewma_alpha
        self._s = 0.0
        self._w = 0.0
        self._obs = 0
        self._adverse = 0
        self._rejected = 0
        self.classifier = LogisticClassifier(N_FEATURES, learning_rate, l2)

    def update(self, against_bps: float, x: Sequence[float]) -> bool:
        """One resolved markout: the mid moved ``against_bps`` against us; ``x`` are the
        features at the fill. Refuses non-finite moves or features, and moves beyond
        ``MAX_BPS``."""
        if not (-MAX_BPS <= against_bps <= MAX_BPS) or not self.classifier.update(
            x, against_bps > self._threshold
        ):
            self._rejected += 1
            return False
        a = self._alpha
        self._s = self._s * (1.0 - a) + a * against_bps
        self._w = self._w * (1.0 - a) + a
        self._obs += 1
        self._adverse += against_bps > self._threshold
        return True

    def probability(self, x: Sequence[float]) -> float:
        """Predicted P(adverse) for a fill with features ``x``, in (0, 1)."""
        return self.classifier.predict(x)

    def side_probabilities(
        self, book_imbalance: float, flow_imbalance: float, vol_ratio: float, probs: Sequence[float]
    ) -> tuple[float, float]:
        """P(adverse) of a typical-size fill of our bid and of our ask, now.

        The same as ``probability(features(+-1, 1.0, ...))``, computed once for both sides.
        """
        w = self.classifier._w
        vol = _clip(math.log(vol_ratio), _FEATURE_CLIP) if vol_ratio > 0.0 else 0.0
        common = w[0] + w[4] * vol + w[5] * probs[0] + w[6] * probs[2] + w[7] * probs[3]
        signed = w[2] * _clip(book_imbalance, 1.0) + w[3] * _clip(flow_imbalance, 1.0)
        if not (-math.inf < common < math.inf and -math.inf < signed < math.inf):
            return 0.5, 0.5
        z_bid = _clip(common + signed, _LOGIT_CLIP)
        z_ask = _clip(common - signed, _LOGIT_CLIP)
        return 1.0 / (1.0 + math.exp(-z_bid)), 1.0 / (1.0 + math.exp(-z_ask))

    @property
    def value(self) -> float:
        """EWMA of realized adverse selection, bps (0.0 before any markout)."""
        return self._s / self._w if self._w > 0.0 else 0.0

    @property
    def adverse_rate(self) -> float:
        """Fraction of markouts that were adverse (0.0 before any)."""
        return self._adverse / self._obs if self._obs else 0.0

    @property
    def observations(self) -> int:
        return self._obs

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> AdverseSelectionState:
        return AdverseSelectionState(
            threshold_bps=self._threshold, ewma_alpha=self._alpha, ewma_sum=self._s, ewma_weight=self._w,
            observations=self._obs, adverse=self._adverse, rejected=self._rejected,
            classifier=self.classifier.snapshot(),
        )  # fmt: skip

    def restore(self, state: AdverseSelectionState) -> None:
        c = state.classifier
        self.__init__(state.threshold_bps, state.ewma_alpha, c.learning_rate, c.l2)  # type: ignore[misc]
        self.classifier.restore(c)
        self._s = state.ewma_sum
        self._w = state.ewma_weight
        self._obs = state.observations
        self._adverse = state.adverse
        self._rejected = state.rejected


class MarkoutOutcome(NamedTuple):
    """A resolved markout: how far the mid moved against us, and the fill's PnL, in bps."""

    fill_ts: int
    sign: float
    against_bps: float
    pnl_bps: float
    features: tuple[float, ...]


class PendingMarkouts:
    """Fills waiting for their markout, resolved in the order their horizons end: fill
    order, except that a held fill, logged after its trade, goes before the fills of the
    meantime."""

    __slots__ = ("_horizon_ns", "_queue", "_rejected")

    def __init__(self, horizon_ns: int) -> None:
        if horizon_ns <= 0:
            raise ValueError("the markout horizon must be positive")
        self._horizon_ns = horizon_ns
        self._queue: deque[tuple[int, int, float, float, float, tuple[float, ...]]] = deque()
        self._rejected = 0

    def add(self, ts: int, sign: float, mid: float, px: float, x: tuple[float, ...]) -> bool:
        """Queue the fill of side ``sign`` at ``px`` that happened at ``ts``, when the mid
        was ``mid``."""
        if not (0.0 < mid < math.inf and 0.0 < px < math.inf) or sign not in (1.0, -1.0):
            self._rejected += 1
            return False
        due = ts + self._horizon_ns
        q = self._queue
        entry = (due, ts, sign, mid, px, x)
        if q and q[-1][0] > due:
            i = len(q) - 1
            while i > 0 and q[i - 1][0] > due:
                i -= 1
            q.insert(i, entry)
        else:
            q.append(entry)
        return True

    @property
    def next_due(self) -> int | None:
        return self._queue[0][0] if self._queue else None

    def resolve(self, ts: int, mid: float) -> list[MarkoutOutcome]:
        """Resolve every fill whose horizon has passed at ``ts``, against ``mid``, in the
        order the horizons ended."""
        out: list[MarkoutOutcome] = []
        q = self._queue
        while q and q[0][0] <= ts:
            _, fill_ts, sign, mid0, px, x = q.popleft()
            out.append(
                MarkoutOutcome(
                    fill_ts, sign, -sign * (mid - mid0) / mid0 * _BPS, sign * (mid - px) / px * _BPS, x
                )
            )
        return out

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def rejected(self) -> int:
        return self._rejected
