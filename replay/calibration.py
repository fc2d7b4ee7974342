"""Calibration of the fill predictions: Brier score and its Murphy decomposition, log loss,
and an equal-count calibration curve, overall and by regime and by side.

**Brier decomposition.** Group the predictions (``n_k`` in group ``k``, mean forecast
``f_k``, observed frequency ``o_k``; ``o`` the overall frequency). Then (Murphy 1973)

    reliability = sum n_k (f_k - o_k)^2 / N      (0 is perfectly calibrated)
    resolution  = sum n_k (o_k - o)^2 / N        (larger separates outcomes better)
    uncertainty = o (1 - o)                      (the outcome's own variance)

With one group per distinct forecast value (``bins=None``) the identity
``Brier = reliability - resolution + uncertainty`` is exact for any forecasts. Model
forecasts are continuous, though, so almost every value is its own group and the parts
say nothing (reliability ~ Brier, resolution ~ uncertainty). So the calibration report
groups by the curve's 10 equal-count bins and reports the two within-bin terms of
Stephenson, Coelho & Jolliffe (2008), which keep the identity exact:

    Brier = reliability - resolution + uncertainty + within_variance - within_covariance
    within_variance   = sum_k sum_i (f_i - f_k)^2 / N
    within_covariance = 2 sum_k sum_i (f_i - f_k) (y_i - o_k) / N

(``within`` below is their difference; it is 0 with distinct-value groups.)

**Calibration curve.** Predictions sorted by forecast (ties in record order) and cut into
``bins`` (10) consecutive groups whose sizes differ by at most one: equal-count bins that
cover every prediction. Each bin reports its count, forecast range, mean forecast,
observed frequency and a 95% Wilson interval of that frequency.

The predictions are the levels of CalibrationRecord events that an order rested
(``oids[i] != 0``): ``p_fill`` against whether the level filled (is in ``fills``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from events import Event
from events.outcomes import CalibrationRecord

#: Probabilities are clipped to [EPS, 1 - EPS] in the log loss (a forecast of exactly 0
#: or 1 that is wrong would otherwise cost infinity).
EPS = 1e-15
DEFAULT_BINS = 10
_Z95 = 1.959963984540054


@attrs.frozen
class BrierDecomposition:
    """Brier score and its parts:
    ``brier == reliability - resolution + uncertainty + within_variance - within_covariance``."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_variance: float
    within_covariance: float
    base_rate: float
    n: int
    #: Number of groups: distinct forecast values, or bins.
    groups: int

    @property
    def within(self) -> float:
        """The within-group term, ``within_variance - within_covariance``."""
        return self.within_variance - self.within_covariance


@attrs.frozen
class CalibrationBin:
    """One equal-count bin of the calibration curve."""

    count: int
    p_min: float
    p_max: float
    mean_predicted: float
    observed: float
    lo95: float
    hi95: float


@attrs.frozen
class Calibration:
    """Every calibration figure of one set of predictions."""

    n: int
    brier: BrierDecomposition
    log_loss: float
    mean_predicted: float
    observed: float
    bins: tuple[CalibrationBin, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (NaN as None) for JSON."""
        return plain_json(attrs.asdict(self))


@attrs.frozen
class Prediction:
    """One predicted fill probability, its outcome, and what it is grouped by."""

    p: float
    filled: bool
    side: str
    regime: str
    depth_bps: float


def brier_decomposition(
    p: Sequence[float] | np.ndarray, y: Sequence[bool] | np.ndarray, bins: int | None = None
) -> BrierDecomposition:
    """The Brier score of forecasts ``p`` for outcomes ``y`` (0/1) and its Murphy parts,
    grouped by distinct forecast value (``bins=None``: the classic, exact decomposition)
    or by ``bins`` equal-count bins (with the within-bin terms)."""
    pa = np.asarray(p, dtype=float)
    ya = np.asarray(y, dtype=float)
    _check(pa, ya)
    n = len(pa)
    nan = math.nan
    if n == 0:
        return BrierDecomposition(nan, nan, nan, nan, nan, nan, nan, 0, 0)
    brier = float(np.mean((pa - ya) ** 2))
    base = float(np.mean(ya))
    uncertainty = base * (1.0 - base)
    if bins is None:
        values, inverse, counts = np.unique(pa, return_inverse=True, return_counts=True)
        freq = np.bincount(inverse, weights=ya, minlength=len(values)) / counts
        reliability = float(np.sum(counts * (values - freq) ** 2) / n)
        resolution = float(np.sum(counts * (freq - base) ** 2) / n)
        return BrierDecomposition(brier, reliability, resolution, uncertainty, 0.0, 0.0, base, n, len(values))
    rel = res = wbv = wbc = 0.0
    groups = _equal_count_groups(pa, bins)
    for idx in groups:
        fk = pa[idx]
        yk = ya[idx]
        f_mean = float(np.mean(fk))
        o_k = float(np.mean(yk))
        rel += len(idx) * (f_mean - o_k) ** 2
        res += len(idx) * (o_k - base) ** 2
        df = fk - f_mean
        wbv += float(np.sum(df * df))
        wbc += 2.0 * float(np.sum(df * (yk - o_k)))
    return BrierDecomposition(brier, rel / n, res / n, uncertainty, wbv / n, wbc / n, base, n, len(groups))


def _equal_count_groups(pa: np.ndarray, bins: int) -> list[np.ndarray]:
    """Indices of ``min(bins, N)`` groups of consecutive forecasts (stable sort), sizes
    differing by at most one."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if len(pa) == 0:
        return []
    order = np.argsort(pa, kind="stable")
    return list(np.array_split(order, min(bins, len(pa))))


def log_loss(p: Sequence[float] | np.ndarray, y: Sequence[bool] | np.ndarray) -> float:
    """Mean negative log-likelihood, forecasts clipped to [EPS, 1 - EPS]; NaN when empty."""
    pa = np.clip(np.asarray(p, dtype=float), EPS, 1.0 - EPS)
    ya = np.asarray(y, dtype=float)
    _check(pa, ya)
    if len(pa) == 0:
        return math.nan
    return float(-np.mean(ya * np.log(pa) + (1.0 - ya) * np.log1p(-pa)))


def equal_count_bins(
    p: Sequence[float] | np.ndarray, y: Sequence[bool] | np.ndarray, bins: int = DEFAULT_BINS
) -> tuple[CalibrationBin, ...]:
    """``min(bins, N)`` bins of consecutive forecasts, sizes differing by at most one."""
    pa = np.asarray(p, dtype=float)
    ya = np.asarray(y, dtype=float)
    _check(pa, ya)
    out = []
    for chunk in _equal_count_groups(pa, bins):
        ps = pa[chunk]
        k = len(chunk)
        hits = float(np.sum(ya[chunk]))
        lo, hi = wilson_interval(hits, k)
        out.append(
            CalibrationBin(
                count=k,
                p_min=float(ps[0]),
                p_max=float(ps[-1]),
                # The mean of values in [min, max] is in it; the clamp absorbs rounding.
                mean_predicted=min(max(float(np.mean(ps)), float(ps[0])), float(ps[-1])),
                observed=hits / k,
                lo95=lo,
                hi95=hi,
            )
        )
    return tuple(out)


def wilson_interval(hits: float, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a frequency ``hits / n``."""
    if n == 0:
        return (math.nan, math.nan)
    f = hits / n
    z2 = _Z95 * _Z95
    centre = (f + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(f * (1 - f) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # The interval always contains f; min/max absorb rounding at f = 0 and f = 1.
    return (max(0.0, min(f, centre - half)), min(1.0, max(f, centre + half)))


def calibrate(
    p: Sequence[float] | np.ndarray, y: Sequence[bool] | np.ndarray, bins: int = DEFAULT_BINS
) -> Calibration:
    """Brier decomposition, log loss and the equal-count curve of one set of predictions."""
    pa = np.asarray(p, dtype=float)
    ya = np.asarray(y, dtype=float)
    return Calibration(
        n=len(pa),
        brier=brier_decomposition(pa, ya, bins),
        log_loss=log_loss(pa, ya),
        mean_predicted=float(np.mean(pa)) if len(pa) else math.nan,
        observed=float(np.mean(ya)) if len(ya) else math.nan,
        bins=equal_count_bins(pa, ya, bins),
    )


def predictions(events: Iterable[Event]) -> list[Prediction]:
    """Every rested level of every CalibrationRecord, in log order."""
    out = []
    for event in events:
        if type(event) is not CalibrationRecord:
            continue
        regime = event.regime or "unknown"  # type: ignore[attr-defined]
        filled = {f.index for f in event.fills}  # type: ignore[attr-defined]
        for i, (lv, oid) in enumerate(zip(event.levels, event.oids, strict=True)):  # type: ignore[attr-defined]
            if oid != 0 and math.isfinite(lv.p_fill):
                out.append(Prediction(lv.p_fill, i in filled, lv.side, regime, lv.depth_bps))
    return out


@attrs.frozen
class CalibrationReport:
    """Calibration overall, by regime and by side (groups in sorted order)."""

    overall: Calibration
    by_regime: dict[str, Calibration]
    by_side: dict[str, Calibration]

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_regime": {k: v.as_dict() for k, v in self.by_regime.items()},
            "by_side": {k: v.as_dict() for k, v in self.by_side.items()},
        }


def calibration_report(preds: Sequence[Prediction], bins: int = DEFAULT_BINS) -> CalibrationReport:
    """Calibrate all predictions, then each regime's and each side's."""

    def cal(sel: Sequence[Prediction]) -> Calibration:
        return calibrate([x.p for x in sel], [x.filled for x in sel], bins)

    regimes = sorted({x.regime for x in preds})
    sides = sorted({x.side for x in preds})
    return CalibrationReport(
        overall=cal(preds),
        by_regime={r: cal([x for x in preds if x.regime == r]) for r in regimes},
        by_side={s: cal([x for x in preds if x.side == s]) for s in sides},
    )


def _check(p: np.ndarray, y: np.ndarray) -> None:
    if p.shape != y.shape or p.ndim != 1:
        raise ValueError(f"forecasts and outcomes must be 1-d and equally long, got {p.shape} and {y.shape}")


def plain_json(value: Any) -> Any:
    """NaN and inf become None, tuples lists: plain JSON data."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value
