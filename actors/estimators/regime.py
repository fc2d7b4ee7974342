"""Market regime: a 4-state HMM filtered online (quiet, normal, volatile, cascade).

Observations, one per step (the estimators actor steps it once per quote cycle):

0. log of the short-term realized volatility;
1. log of the trade intensity (trades per second, short EWMA);
2. the absolute trade-flow imbalance, in [0, 1].

**Emissions.** Each regime's emission is a diagonal Gaussian. The first two observations
are scale-dependent (every asset has its own level), so the regimes are a *template*
around a centre, the normal regime's (log vol, log intensity): ``OFFSETS`` says quiet is
about half as active as normal, volatile two to three times, a cascade several times and
one-sided; ``SPREADS`` gives their widths. The emission parameters adapt online: after
each step every regime's means and variances move towards the observation by
``learning_rate`` times its posterior probability, within bounds around the template
(``MEAN_BAND``, ``VAR_FACTORS``) that keep each regime what its name says.

**The centre** starts at a prior (the configured normal volatility and trade rate, or the
first observation) and is learned two ways: every step it slides by ``center_rate`` along
the gradient of the log-likelihood (fine tuning), and on a schedule (after 200, 600 and
1800 steps, then every 3600) it is re-aligned globally: the centre that best
explains the last hour of observations (sampled every 20 steps) under the regime mixture
is searched on a grid of +-3 log units and taken when it explains them clearly better. A
local slide alone can lock onto a template shifted by one regime (volatile taken for
normal, say); the global search cannot.

**Filtering.** The transition matrix is sticky: over ``dt`` seconds a regime persists
with probability ``exp(-dt / mean_duration_s)`` and otherwise moves to any other regime
with equal probability. The posterior is computed relative to the best log-likelihood and
mixed with a tiny uniform floor so no regime is ever ruled out for good: probabilities
stay >= 0 and sum to 1 whatever the inputs. Non-finite observations are refused and
counted; extreme finite ones are clipped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Final

import numpy as np

from actors.estimators.common import State

REGIMES: Final = ("quiet", "normal", "volatile", "cascade")
QUIET, NORMAL, VOLATILE, CASCADE = range(4)
N_OBS: Final = 3
#: Emission means of the template: (log vol, log intensity) relative to the centre, and
#: |flow imbalance|.
OFFSETS: Final = (
    (-0.5, -0.9, 0.10),
    (0.0, 0.0, 0.15),
    (0.9, 1.4, 0.10),
    (1.8, 2.6, 0.50),
)
#: Emission standard deviations of the template.
SPREADS: Final = (
    (0.35, 0.40, 0.12),
    (0.35, 0.40, 0.12),
    (0.40, 0.45, 0.15),
    (0.50, 0.60, 0.15),
)
#: How far adaptation may move a regime's means from the template: log units for the
#: volatility and intensity, absolute for the imbalance.
MEAN_BAND: Final = (0.3, 0.3, 0.15)
#: Adapted variances stay within these factors of the template's.
VAR_FACTORS: Final = (0.25, 4.0)
_MU_LO: Final = tuple(m - b for row in OFFSETS for m, b in zip(row, MEAN_BAND, strict=True))
_MU_HI: Final = tuple(m + b for row in OFFSETS for m, b in zip(row, MEAN_BAND, strict=True))
_VAR_LO: Final = tuple(VAR_FACTORS[0] * sd * sd for row in SPREADS for sd in row)
_VAR_HI: Final = tuple(VAR_FACTORS[1] * sd * sd for row in SPREADS for sd in row)
#: Relative observations are clipped to this magnitude (log units); absolute ones kept
#: for the alignment to this one.
_CLIP: Final = 50.0
_ABS_CLIP: Final = 1e6
#: Probability mass spread uniformly after every step.
_FLOOR: Final = 1e-6
#: Steps between samples kept for the alignment, and how many are kept (an hour of
#: one-second steps).
SAMPLE_EVERY: Final = 20
BUFFER: Final = 180
#: Steps after which the centre is re-aligned; then every ALIGN_PERIOD steps.
ALIGN_AT: Final = (200, 600, 1800)
ALIGN_PERIOD: Final = 3600
#: Alignment grid: shifts of +-ALIGN_REACH in ALIGN_STEP, then +-one step in half steps
#: around the best, twice; a new centre must explain the samples better by ALIGN_MARGIN
#: nats.
ALIGN_REACH: Final = 3.0
ALIGN_STEP: Final = 1.0
ALIGN_MARGIN: Final = 2.0
_TEMPLATE_MU: Final = np.array(OFFSETS, dtype=np.float64)
_TEMPLATE_SD: Final = np.array(SPREADS, dtype=np.float64)
#: (regime, offset of its first emission parameter) pairs.
_INDEX: Final = tuple((r, 3 * r) for r in range(len(REGIMES)))
#: (flat index, regime, observation) of every emission parameter.
_PARAMS: Final = tuple((3 * r + j, r, j) for r in range(len(REGIMES)) for j in range(N_OBS))


def _clip(x: float, lim: float = _CLIP) -> float:
    return lim if x > lim else (-lim if x < -lim else x)


class RegimeState(State, frozen=True):
    mean_duration_s: float
    center_rate: float
    learning_rate: float
    probabilities: tuple[float, ...]
    means: tuple[float, ...]
    variances: tuple[float, ...]
    has_center: bool
    center: tuple[float, float]
    samples: tuple[float, ...]
    next_align: int
    alignments: int
    observations: int
    rejected: int


class RegimeHmm:
    """Online forward filter over four regimes with adaptive Gaussian emissions."""

    __slots__ = (
        "_duration", "_center_rate", "_lr", "_p", "_best", "_mu", "_var", "_logdet", "_has_c", "_c", "_samples",
        "_next_align", "_alignments", "_obs", "_rejected",
    )  # fmt: skip

    def __init__(
        self,
        mean_duration_s: float = 300.0,
        center_rate: float = 0.002,
        learning_rate: float = 0.002,
        center: tuple[float, float] | None = None,
    ) -> None:
        """``center``: prior (log sigma, log trades per second) of the normal regime; None
        takes the first observation for normal."""
        if not (mean_duration_s > 0.0 and 0.0 <= center_rate <= 1.0 and 0.0 <= learning_rate <= 1.0):
            raise ValueError("mean_duration_s must be positive, center_rate and learning_rate in [0, 1]")
        k = len(REGIMES)
        self._duration = mean_duration_s
        self._center_rate = center_rate
        self._lr = learning_rate
        self._p: tuple[float, ...] = (1.0 / k,) * k
        self._best = 0
        # Emission parameters, flat: regime r, observation j at 3 r + j.
        self._mu = [v for row in OFFSETS for v in row]
        self._var = [sd * sd for row in SPREADS for sd in row]
        self._logdet = [0.0] * k
        self._refresh_logdet()
        self._has_c = center is not None
        self._c = [0.0, 0.0] if center is None else [float(center[0]), float(center[1])]
        if not all(-_ABS_CLIP <= c <= _ABS_CLIP for c in self._c):
            raise ValueError(f"the regime centre must be finite, got {center!r}")
        self._samples: deque[tuple[float, float, float]] = deque(maxlen=BUFFER)
        self._next_align = ALIGN_AT[0]
        self._alignments = 0
        self._obs = 0
        self._rejected = 0

    def _refresh_logdet(self) -> None:
        var = self._var
        self._logdet = [math.log(var[i] * var[i + 1] * var[i + 2]) for _, i in _INDEX]

    def update(self, log_vol: float, log_intensity: float, imbalance: float, dt_s: float) -> bool:
        """One filtering step ``dt_s`` seconds after the previous one."""
        inf = math.inf
        if not (-inf < log_vol < inf and -inf < log_intensity < inf and -inf < imbalance < inf):
            self._rejected += 1
            return False
        if not dt_s > 0.0:  # also NaN
            dt_s = 0.0
        log_vol = _clip(log_vol, _ABS_CLIP)
        log_intensity = _clip(log_intensity, _ABS_CLIP)
        c = self._c
        if not self._has_c:
            self._has_c = True
            c[0] = log_vol
            c[1] = log_intensity
        x0 = _clip(log_vol - c[0])
        x1 = _clip(log_intensity - c[1])
        x2 = _clip(abs(imbalance))
        p = self._p
        k = len(p)
        stay = math.exp(-dt_s / self._duration)
        move = (1.0 - stay) / (k - 1)
        mu = self._mu
        var = self._var
        logdet = self._logdet
        # Log-likelihoods, then the posterior in probability space relative to the best
        # one (which is exp(0) = 1 times a prior >= the floor, so the sum is positive).
        ll = [
            -0.5
            * (
                (x0 - mu[i]) ** 2 / var[i]
                + (x1 - mu[i + 1]) ** 2 / var[i + 1]
                + (x2 - mu[i + 2]) ** 2 / var[i + 2]
                + logdet[r]
            )
            for r, i in _INDEX
        ]
        top = max(ll)
        exp = math.exp
        post = [(pr * stay + (1.0 - pr) * move) * exp(v - top) for pr, v in zip(p, ll, strict=True)]
        scale = (1.0 - k * _FLOOR) / sum(post)
        p = self._p = tuple([v * scale + _FLOOR for v in post])
        self._best = p.index(max(p))
        lr = self._lr
        if lr > 0.0:
            lo, hi, vlo, vhi = _MU_LO, _MU_HI, _VAR_LO, _VAR_HI
            for r, i in _INDEX:
                step = lr * p[r]
                # Unrolled over the three observations: this runs every quote cycle.
                d = x0 - mu[i]
                m = mu[i] + step * d
                mu[i] = lo[i] if m < lo[i] else (hi[i] if m > hi[i] else m)
                v = var[i] + step * (d * d - var[i])
                var[i] = vlo[i] if v < vlo[i] else (vhi[i] if v > vhi[i] else v)
                j = i + 1
                d = x1 - mu[j]
                m = mu[j] + step * d
                mu[j] = lo[j] if m < lo[j] else (hi[j] if m > hi[j] else m)
                v = var[j] + step * (d * d - var[j])
                var[j] = vlo[j] if v < vlo[j] else (vhi[j] if v > vhi[j] else v)
                j = i + 2
                d = x2 - mu[j]
                m = mu[j] + step * d
                mu[j] = lo[j] if m < lo[j] else (hi[j] if m > hi[j] else m)
                v = var[j] + step * (d * d - var[j])
                var[j] = vlo[j] if v < vlo[j] else (vhi[j] if v > vhi[j] else v)
            self._refresh_logdet()
        rate = self._center_rate
        if rate > 0.0:
            # Gradient step of the log-likelihood in the centre, each regime's residual
            # weighted by its probability.
            g0 = g1 = 0.0
            for r, i in _INDEX:
                g0 += p[r] * (x0 - mu[i])
                g1 += p[r] * (x1 - mu[i + 1])
            c[0] += rate * g0
            c[1] += rate * g1
        self._obs += 1
        if self._obs % SAMPLE_EVERY == 0:
            self._samples.append((log_vol, log_intensity, x2))
        if self._obs >= self._next_align:
            self._align()
        return True

    def _align(self) -> None:
        """Re-centre the template where it explains the sampled observations best."""
        n = self._obs
        self._next_align = next((a for a in ALIGN_AT if a > n), n - n % ALIGN_PERIOD + ALIGN_PERIOD)
        if len(self._samples) < 10:
            return
        x = np.array(self._samples, dtype=np.float64)  # (n, 3) absolute
        # Scored with the template, not the adapted parameters: those were adapted under
        # the current centre and would favour it whether or not it is right.
        mu = _TEMPLATE_MU
        sd = _TEMPLATE_SD
        # Per sample and regime, the centre-free part of the log-likelihood (imbalance and
        # normalisation); the two scale-dependent terms separate, one per centre axis.
        z2 = (x[:, None, 2] - mu[None, :, 2]) / sd[None, :, 2]  # (n, k)
        base = -0.5 * z2 * z2 - np.log(sd).sum(axis=1)[None, :]

        def axis_terms(values: np.ndarray, j: int) -> np.ndarray:
            """-0.5 z^2 of observation j for each candidate centre coordinate: (m, n, k)."""
            rel = x[None, :, None, j] - values[:, None, None] - mu[None, None, :, j]
            z = np.clip(rel, -_CLIP, _CLIP) / sd[None, None, :, j]
            return -0.5 * z * z  # type: ignore[no-any-return]

        def score(c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
            """Mixture log-likelihood of the samples on the grid c0 x c1: (len c0, len c1)."""
            ll = base[None, None] + axis_terms(c0, 0)[:, None] + axis_terms(c1, 1)[None, :]  # (a, b, n, k)
            top = ll.max(axis=3, keepdims=True)
            mix = np.log(np.exp(ll - top).sum(axis=3)) + top[..., 0]
            return mix.sum(axis=2)  # type: ignore[no-any-return]

        c0, c1 = self._c
        step = ALIGN_STEP
        best0, best1 = c0, c1
        reach = ALIGN_REACH
        # Coarse to fine: a grid of 2 * reach / step + 1 points a side, then two halvings.
        while step >= ALIGN_STEP / 4:
            g0 = best0 + np.arange(-reach, reach + 1e-9, step)
            g1 = best1 + np.arange(-reach, reach + 1e-9, step)
            scores = score(g0, g1)
            i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
            best0, best1, best_score = float(g0[i]), float(g1[j]), float(scores[i, j])
            reach = step
            step /= 2
        here = float(score(np.array([c0]), np.array([c1]))[0, 0])
        if best_score > here + ALIGN_MARGIN:
            new = [best0, best1]
            if max(abs(best0 - c0), abs(best1 - c1)) > ALIGN_STEP:
                # A real move: what was adapted under the old centre belongs to other
                # regimes now, so the regimes start again from the template.
                self._mu = [v for row in OFFSETS for v in row]
                self._var = [v * v for row in SPREADS for v in row]
                self._refresh_logdet()
            self._c = new
            self._alignments += 1

    @property
    def probabilities(self) -> tuple[float, ...]:
        """P(regime) in REGIMES order: each >= 0, summing to 1."""
        return self._p

    @property
    def most_likely(self) -> int:
        """Index of the most probable regime (the lowest index on a tie)."""
        return self._best

    @property
    def value(self) -> str:
        """Name of the most probable regime."""
        return REGIMES[self.most_likely]

    @property
    def confidence(self) -> float:
        """Probability of the most likely regime."""
        return max(self._p)

    @property
    def observations(self) -> int:
        return self._obs

    @property
    def rejected(self) -> int:
        return self._rejected

    @property
    def center(self) -> tuple[float, float]:
        """(log vol, log trades per second) of the normal regime."""
        return self._c[0], self._c[1]

    @property
    def alignments(self) -> int:
        """How many times the global alignment moved the centre."""
        return self._alignments

    @property
    def means(self) -> tuple[tuple[float, ...], ...]:
        """Emission means per regime: (relative log vol, relative log intensity, |imbalance|)."""
        mu = self._mu
        return tuple(tuple(mu[i : i + 3]) for _, i in _INDEX)

    @property
    def variances(self) -> tuple[tuple[float, ...], ...]:
        var = self._var
        return tuple(tuple(var[i : i + 3]) for _, i in _INDEX)

    def snapshot(self) -> RegimeState:
        return RegimeState(
            mean_duration_s=self._duration,
            center_rate=self._center_rate,
            learning_rate=self._lr,
            probabilities=self._p,
            means=tuple(self._mu),
            variances=tuple(self._var),
            has_center=self._has_c,
            center=(self._c[0], self._c[1]),
            samples=tuple(v for row in self._samples for v in row),
            next_align=self._next_align,
            alignments=self._alignments,
            observations=self._obs,
            rejected=self._rejected,
        )

    def restore(self, state: RegimeState) -> None:
        k = len(REGIMES)
        if (
            len(state.probabilities) != k
            or len(state.means) != k * N_OBS
            or len(state.variances) != k * N_OBS
        ):
            raise ValueError(f"a regime snapshot needs {k} regimes of {N_OBS} observations")
        if len(state.samples) % N_OBS:
            raise ValueError(f"regime samples come in groups of {N_OBS}")
        self.__init__(state.mean_duration_s, state.center_rate, state.learning_rate)  # type: ignore[misc]
        self._p = tuple(state.probabilities)
        self._best = self._p.index(max(self._p))
        self._mu = list(state.means)
        self._var = list(state.variances)
        self._refresh_logdet()
        self._has_c = state.has_center
        self._c = [state.center[0], state.center[1]]
        s = state.samples
        self._samples.extend((s[i], s[i + 1], s[i + 2]) for i in range(0, len(s), N_OBS))
        self._next_align = state.next_align
        self._alignments = state.alignments
        self._obs = state.observations
        self._rejected = state.rejected


def agreement(hmm_regimes: Sequence[int], truth: Sequence[int], mapping: Sequence[Sequence[int]]) -> float:
    """Fraction of steps where the HMM's regime is one that ``mapping[truth]`` allows."""
    if len(hmm_regimes) != len(truth):
        raise ValueError("one HMM regime per truth")
    if not truth:
        return 0.0
    return sum(h in mapping[t] for h, t in zip(hmm_regimes, truth, strict=True)) / len(truth)
