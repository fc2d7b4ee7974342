"""Small helpers shared by the estimators."""

from __future__ import annotations

import math
from typing import Final

import msgspec

#: The largest float below 1: confidences stay in [0, 1) whatever the counts.
ALMOST_ONE: Final = 1.0 - 2.0**-53
INF: Final = math.inf
#: Largest believable price move or markout, bps (a hundredfold price change).
MAX_BPS: Final = 1e6


class State(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every estimator snapshot: plain, finite data that round-trips through JSON."""


def count_confidence(n: float) -> float:
    """1 / (1 + cv) for an estimate from ``n`` observations (cv ~ 1 / sqrt(n)); 0 for none."""
    if not n > 0.0:
        return 0.0
    return min(1.0 / (1.0 + 1.0 / math.sqrt(n)), ALMOST_ONE)


def finite_or(x: float, default: float) -> float:
    """``x`` when finite, else ``default`` (snapshots must stay JSON-safe)."""
    return x if math.isfinite(x) else default
