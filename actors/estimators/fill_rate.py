"""Fill rate: P(a quote level fills within the horizon | its depth from mid, bps).

A Beta-Bernoulli model per depth bin: bin ``i`` starts from a Beta prior of strength
``prior_strength`` and mean ``0.5 * exp(-depth_i / prior_scale_bps)``, and every quote
level's outcome (filled within its life or the horizon, or not) updates its bin. A fill
is rarer further from the mid, so the curve is made non-increasing in depth by the
pool-adjacent-violators algorithm (weighted by each bin's prior strength plus outcomes):
the closest monotone curve to the bins' posterior means.

``LevelOutcomes`` turns our order events into those outcomes.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Final

from actors.estimators.common import State, count_confidence

#: Lower edges of the depth bins, bps from mid; the last bin is open above.
DEPTH_EDGES_BPS: Final = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0)


def bin_depths(edges: tuple[float, ...] = DEPTH_EDGES_BPS) -> tuple[float, ...]:
    """A representative depth per bin: its centre (the open last bin: 1.5 x its edge)."""
    return (*((a + b) / 2.0 for a, b in zip(edges, edges[1:], strict=False)), 1.5 * edges[-1])


class FillRateState(State, frozen=True):
    prior_strength: float
    prior_scale_bps: float
    edges_bps: tuple[float, ...]
    fills: tuple[int, ...]
    outcomes: tuple[int, ...]
    rejected: int


class FillRateCurve:
    """Monotone Beta-Bernoulli fill probability by depth bin."""

    __slots__ = (
        "_strength",
        "_scale",
        "_edges",
        "_depths",
        "_a0",
        "_fills",
        "_n",
        "_total",
        "_rejected",
        "_curve",
    )

    def __init__(
        self,
        prior_strength: float = 2.0,
        prior_scale_bps: float = 5.0,
        edges_bps: tuple[float, ...] = DEPTH_EDGES_BPS,
    ) -> None:
        if not (prior_strength > 0.0 and math.isfinite(prior_strength) and prior_scale_bps > 0.0):
            raise ValueError("prior_strength and prior_scale_bps must be positive")
        if (
            not edges_bps
            or edges_bps[0] != 0.0
            or any(b <= a for a, b in zip(edges_bps, edges_bps[1:], strict=False))
        ):
            raise ValueError("depth edges must start at 0 and increase")
        self._strength = prior_strength
        self._scale = prior_scale_bps
        self._edges = tuple(edges_bps)
        self._depths = bin_depths(self._edges)
        self._a0 = [prior_strength * 0.5 * math.exp(-d / prior_scale_bps) for d in self._depths]
        self._fills = [0] * len(self._edges)
        self._n = [0] * len(self._edges)
        self._total = 0
        self._rejected = 0
        self._curve: tuple[float, ...] | None = None

    def update(self, depth_bps: float, filled: bool) -> bool:
        """One quote level's outcome; a depth at or through the mid counts as depth 0.
        Refuses NaN and infinite depths."""
        if not (-math.inf < depth_bps < math.inf):
            self._rejected += 1
            return False
        i = bisect_right(self._edges, depth_bps) - 1 if depth_bps > 0.0 else 0
        self._n[i] += 1
        self._fills[i] += filled
        self._total += 1
        self._curve = None
        return True

    @property
    def depths_bps(self) -> tuple[float, ...]:
        """Representative depth of each bin, bps."""
        return self._depths

    @property
    def probabilities(self) -> tuple[float, ...]:
        """P(fill) per bin: in [0, 1] and non-increasing in depth."""
        if self._curve is None:
            self._curve = self._fit()
        return self._curve

    def probability(self, depth_bps: float) -> float:
        """P(fill) of a level at ``depth_bps`` (its bin's value)."""
        if not (-math.inf < depth_bps < math.inf):
            return 0.0
        i = bisect_right(self._edges, depth_bps) - 1 if depth_bps > 0.0 else 0
        return self.probabilities[i]

    def _fit(self) -> tuple[float, ...]:
        s = self._strength
        means = [(a0 + f) / (s + n) for a0, f, n in zip(self._a0, self._fills, self._n, strict=True)]
        if all(a >= b for a, b in zip(means, means[1:], strict=False)):
            # Already monotone (the usual case): each mean is a weighted mean of values in [0, 1].
            return tuple(0.0 if v < 0.0 else (1.0 if v > 1.0 else v) for v in means)
        # Pool adjacent violators on the posterior means, weights = posterior strength.
        blocks: list[list[float]] = []  # [value, weight, bins]
        for a0, f, n in zip(self._a0, self._fills, self._n, strict=True):
            w = s + n
            v = (a0 + f) / w
            blocks.append([v, w, 1.0])
            while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
                v2, w2, c2 = blocks.pop()
                b = blocks[-1]
                tw = b[1] + w2
                b[0] = (b[0] * b[1] + v2 * w2) / tw
                b[1] = tw
                b[2] += c2
        out: list[float] = []
        for v, _, c in blocks:
            v = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
            out.extend([v] * int(c))
        return tuple(out)

    @property
    def observations(self) -> int:
        return self._total

    @property
    def confidence(self) -> float:
        return count_confidence(self.observations)

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> FillRateState:
        return FillRateState(
            prior_strength=self._strength, prior_scale_bps=self._scale, edges_bps=self._edges,
            fills=tuple(self._fills), outcomes=tuple(self._n), rejected=self._rejected,
        )  # fmt: skip

    def restore(self, state: FillRateState) -> None:
        if len(state.fills) != len(state.edges_bps) or len(state.outcomes) != len(state.edges_bps):
            raise ValueError("one fill count and one outcome count per bin")
        self.__init__(state.prior_strength, state.prior_scale_bps, tuple(state.edges_bps))  # type: ignore[misc]
        self._fills = list(state.fills)
        self._n = list(state.outcomes)
        self._total = sum(self._n)
        self._rejected = state.rejected


class LevelOutcomes:
    """Our live quote levels and their outcomes: filled within ``horizon`` of placement
    (or within their life, if shorter) or not.

    ``place`` starts a level; ``fill`` resolves it (filled if within the horizon, else not
    filled); ``end`` (canceled, expired) resolves it as not filled; ``discard`` forgets a
    level that never rested (rejected). Each level resolves once, when it fills or leaves
    the book, so a level that outlives its horizon unfilled is counted when it leaves.
    """

    __slots__ = ("_horizon_ns", "_live")

    def __init__(self, horizon_ns: int) -> None:
        if horizon_ns <= 0:
            raise ValueError("the horizon must be positive")
        self._horizon_ns = horizon_ns
        self._live: dict[int, tuple[int, float]] = {}  # oid -> (deadline, depth bps)

    def place(self, oid: int, ts: int, depth_bps: float) -> None:
        self._live[oid] = (ts + self._horizon_ns, depth_bps)

    def fill(self, oid: int, ts: int) -> tuple[float, bool] | None:
        """(depth, filled within the horizon) of a level that just (partly) filled, or None
        for a level already resolved or unknown."""
        level = self._live.pop(oid, None)
        if level is None:
            return None
        return level[1], ts <= level[0]

    def end(self, oid: int) -> float | None:
        """The depth of a level that left the book unfilled, or None."""
        level = self._live.pop(oid, None)
        return None if level is None else level[1]

    def discard(self, oid: int) -> None:
        self._live.pop(oid, None)

    def __len__(self) -> int:
        return len(self._live)
