"""The estimators: one module per estimator, and the actor that runs them all.

Each estimator is a small class with ``update``, ``value``, ``observations``,
``rejected`` (inputs it refused), ``snapshot()`` (a msgspec struct that round-trips
through JSON) and ``restore(state)``.

The actor (``actor``) owns their state and keeps its hot paths inline; its per-cycle step
(``cycle_step``), the pure look at the current estimates (``estimates``), what it learns
from our own orders and fills (``own_fills``, ``held`` for fills held past their trade),
the taker-flow features (``market_features``), its snapshot and its summary are modules
of their own.
"""

from actors.estimators.actor import EstimatorsActor
from actors.estimators.adverse_selection import (
    AdverseSelection,
    LogisticClassifier,
    MarkoutOutcome,
    PendingMarkouts,
    features,
)
from actors.estimators.calibration import CalibrationController, Warmup
from actors.estimators.fill_rate import DEPTH_EDGES_BPS, FillRateCurve, LevelOutcomes
from actors.estimators.kappa import GammaKappa, RegimeKappa, blend, harmonic
from actors.estimators.kelly import KellyTracker
from actors.estimators.regime import REGIMES, RegimeHmm
from actors.estimators.snapshot import EstimatorsSnapshot
from actors.estimators.volatility import Volatility

__all__ = [
    "DEPTH_EDGES_BPS",
    "REGIMES",
    "AdverseSelection",
    "CalibrationController",
    "EstimatorsActor",
    "EstimatorsSnapshot",
    "FillRateCurve",
    "GammaKappa",
    "KellyTracker",
    "LevelOutcomes",
    "LogisticClassifier",
    "MarkoutOutcome",
    "PendingMarkouts",
    "RegimeHmm",
    "RegimeKappa",
    "Volatility",
    "Warmup",
    "blend",
    "features",
    "harmonic",
]
