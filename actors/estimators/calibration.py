"""The calibration controller and the warmup, with its graduated kappa floor.

**Calibration controller.** ``progress = (adverse-selection progress + kappa progress)
/ 2``, each the share of its target reached (markouts resolved, own fills seen), and
``cal_gamma`` rises linearly from ``gamma_start`` (0.3: fill-hungry, tight) to
``gamma_end`` (1.0) with it. The quote engine multiplies its gamma by ``cal_gamma``.

**Warmup.** ``progress = 0.4 floor progress + 0.4 kappa-fill progress + 0.2 gamma
progress``:

- floor progress: floor observations (own fills received while the warmup floor is in
  force: the evidence the floor exists to buy) over their target;
- kappa-fill progress: the volume-weighted own fills in the kappa posterior over their
  target;
- gamma progress: the calibration controller's progress.

Targets are relaxed (``floor_obs_scarce``, ``fills_scarce``; 10 and 5 by default) while
the observed own-fill rate is below ``scarce_fill_rate`` (0.005 /s), else (20, 10). The
progress never goes back: once relaxed, the floor is not imposed again.

**No catch-22.** A kappa floor bounds kappa from below, so it caps the GLFT half spread
near ``1 / floor``: it keeps quotes close enough to the mid to be filled while kappa is
still being learned. The seed system held a fixed floor until kappa confidence reached
0.75; when even that spread was too wide for the market, no fill ever came, confidence
never rose and the floor never went. Here the floor is graduated both ways:

- its level starts at ``floor_kappa`` and, while fills are scarce (observed rate below
  ``scarce_fill_rate``), doubles every ``doubling_s`` (the spread cap halves) up to
  ``floor_max_kappa``, until fills come; when they do it relaxes back at the same pace;
- the floor in force is that level times ``1 - progress``: it fades as the evidence it
  bought accumulates, and is lifted (0) when the warmup completes.

So learning always gets fills: either quotes are already filled, or the cap on the
spread tightens until they are.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from actors.estimators.common import State

FLOOR_WEIGHT = 0.4
FILL_WEIGHT = 0.4
GAMMA_WEIGHT = 0.2


class CalibrationState(State, frozen=True):
    gamma_start: float
    gamma_end: float
    adverse_target: int
    kappa_target: int
    adverse_observations: int
    kappa_observations: int


class CalibrationController:
    """cal_progress and cal_gamma from the adverse-selection and own-fill counts."""

    __slots__ = ("_g0", "_g1", "_adverse_target", "_kappa_target", "_adverse", "_kappa")

    def __init__(
        self,
        gamma_start: float = 0.3,
        gamma_end: float = 1.0,
        adverse_target: int = 50,
        kappa_target: int = 50,
    ) -> None:
        if not (gamma_start > 0.0 and gamma_end > 0.0 and adverse_target >= 1 and kappa_target >= 1):
            raise ValueError("gammas must be positive and targets at least 1")
        self._g0 = gamma_start
        self._g1 = gamma_end
        self._adverse_target = adverse_target
        self._kappa_target = kappa_target
        self._adverse = 0
        self._kappa = 0

    def update(self, adverse_observations: int, kappa_observations: int) -> bool:
        """The latest counts of resolved markouts and own fills (negative counts refused)."""
        if adverse_observations < 0 or kappa_observations < 0:
            return False
        self._adverse = adverse_observations
        self._kappa = kappa_observations
        return True

    def progress_for(self, adverse_observations: int, kappa_observations: int) -> float:
        """The progress these counts would give, in [0, 1] (nothing is taken)."""
        a = min(adverse_observations / self._adverse_target, 1.0)
        k = min(kappa_observations / self._kappa_target, 1.0)
        return 0.5 * (a + k)

    def gamma_for(self, progress: float) -> float:
        """cal_gamma at ``progress``: from gamma_start to gamma_end."""
        return self._g0 + (self._g1 - self._g0) * progress

    @property
    def progress(self) -> float:
        """In [0, 1]."""
        return self.progress_for(self._adverse, self._kappa)

    @property
    def value(self) -> float:
        """cal_gamma: the gamma multiplier, from gamma_start to gamma_end with progress."""
        return self.gamma_for(self.progress)

    @property
    def observations(self) -> int:
        return self._adverse + self._kappa

    def snapshot(self) -> CalibrationState:
        return CalibrationState(
            gamma_start=self._g0, gamma_end=self._g1, adverse_target=self._adverse_target,
            kappa_target=self._kappa_target, adverse_observations=self._adverse, kappa_observations=self._kappa,
        )  # fmt: skip

    def restore(self, state: CalibrationState) -> None:
        self.__init__(state.gamma_start, state.gamma_end, state.adverse_target, state.kappa_target)  # type: ignore[misc]
        self._adverse = state.adverse_observations
        self._kappa = state.kappa_observations


class WarmupView(NamedTuple):
    """The warmup as of a time: what an Estimates carries of it."""

    progress: float
    floor: float
    fill_rate: float


def _floor(level: float, progress: float) -> float:
    return level * (1.0 - progress) if progress < 1.0 else 0.0


class WarmupState(State, frozen=True):
    floor_kappa: float
    floor_max_kappa: float
    doubling_s: float
    scarce_fill_rate: float
    rate_half_life_s: float
    targets: tuple[int, int, int, int]
    started: bool
    last_ts: int
    level: float
    fill_rate: float
    pending_fills: int
    fills: int
    fill_weight: float
    floor_observations: int
    progress: float
    rejected: int


class Warmup:
    """Warmup progress and the graduated kappa floor it keeps in force."""

    __slots__ = (
        "_base", "_max", "_doubling", "_scarce", "_rate_hl", "_rate_tau_inv", "_targets", "_started", "_last_ts",
        "_level", "_rate", "_pending", "_fills", "_fill_w", "_floor_obs", "_progress", "_rejected",
    )  # fmt: skip

    def __init__(
        self,
        floor_kappa: float = 8000.0,
        floor_max_kappa: float = 64_000.0,
        doubling_s: float = 60.0,
        scarce_fill_rate: float = 0.005,
        rate_half_life_s: float = 120.0,
        targets: tuple[int, int, int, int] = (20, 10, 10, 5),
    ) -> None:
        """``targets`` = (floor obs, floor obs when scarce, fills, fills when scarce)."""
        if not (
            floor_kappa >= 0.0 and floor_max_kappa >= 0.0 and doubling_s > 0.0 and rate_half_life_s > 0.0
        ):
            raise ValueError("floors must be >= 0, doubling_s and rate_half_life_s positive")
        if len(targets) != 4 or min(targets) < 1:
            raise ValueError("four targets, each at least 1")
        self._base = floor_kappa
        self._max = max(floor_max_kappa, floor_kappa)
        self._doubling = doubling_s
        self._scarce = scarce_fill_rate
        self._rate_hl = rate_half_life_s
        self._rate_tau_inv = math.log(2.0) / rate_half_life_s
        self._targets = (int(targets[0]), int(targets[1]), int(targets[2]), int(targets[3]))
        self._started = False
        self._last_ts = 0
        self._level = floor_kappa
        self._rate = 0.0
        self._pending = 0
        self._fills = 0
        self._fill_w = 0.0
        self._floor_obs = 0
        self._progress = 0.0
        self._rejected = 0

    def on_fill(self, weight: float) -> bool:
        """An own fill with its volume weight (the weight it has in the kappa posterior)."""
        if not (0.0 < weight < math.inf):
            self._rejected += 1
            return False
        self._pending += 1
        self._fills += 1
        self._fill_w += weight
        if self.floor > 0.0 or self._base == 0.0:  # a disabled floor has nothing to wait for
            self._floor_obs += 1
        return True

    def update(self, ts: int, cal_progress: float) -> None:
        """Advance to event time ``ts`` (ns): fill rate, floor level, progress."""
        self._last_ts, self._level, self._rate, self._progress = self._advanced(ts, cal_progress)
        self._started = True
        self._pending = 0

    def at(self, ts: int, cal_progress: float) -> WarmupView:
        """The warmup as ``update(ts, cal_progress)`` would leave it, changing nothing."""
        _, level, rate, progress = self._advanced(ts, cal_progress)
        return WarmupView(progress, _floor(level, progress), rate)

    def _advanced(self, ts: int, cal_progress: float) -> tuple[int, float, float, float]:
        """(last time, floor level, fill rate, progress) once advanced to ``ts``."""
        last_ts = self._last_ts if self._started else ts
        dt = (ts - last_ts) * 1e-9
        if dt < 0.0:
            dt = 0.0
        else:
            last_ts = ts
        # Event-count EWMA of the fill rate: decay, then each new fill adds 1 / tau.
        decay = math.exp(-dt * self._rate_tau_inv)
        rate = self._rate * decay + self._pending * self._rate_tau_inv
        scarce = rate < self._scarce
        level = self._level
        if self._base > 0.0 and dt > 0.0:
            step = 2.0 ** min(dt / self._doubling, 64.0)  # (beyond the floor's range anyway)
            level = level * step if scarce else level / step
            level = self._max if level > self._max else (self._base if level < self._base else level)
        t_floor, t_floor_scarce, t_fills, t_fills_scarce = self._targets
        floor_target = t_floor_scarce if scarce else t_floor
        fill_target = t_fills_scarce if scarce else t_fills
        if not (0.0 <= cal_progress <= 1.0):
            cal_progress = 0.0 if not cal_progress > 0.0 else 1.0
        progress = (
            FLOOR_WEIGHT * min(self._floor_obs / floor_target, 1.0)
            + FILL_WEIGHT * min(self._fill_w / fill_target, 1.0)
            + GAMMA_WEIGHT * cal_progress
        )
        return last_ts, level, rate, min(progress, 1.0) if progress > self._progress else self._progress

    @property
    def value(self) -> float:
        """Warmup progress in [0, 1]; it never decreases."""
        return self._progress

    @property
    def complete(self) -> bool:
        return self._progress >= 1.0

    @property
    def floor(self) -> float:
        """The kappa floor in force: the level times (1 - progress); 0 once complete."""
        return _floor(self._level, self._progress)

    @property
    def level(self) -> float:
        """The floor's level before the fade by progress."""
        return self._level

    @property
    def fill_rate(self) -> float:
        """Observed own fills per second (EWMA)."""
        return self._rate

    @property
    def scarce(self) -> bool:
        return self._rate < self._scarce

    @property
    def observations(self) -> int:
        """Floor observations."""
        return self._floor_obs

    @property
    def fills(self) -> int:
        return self._fills

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> WarmupState:
        return WarmupState(
            floor_kappa=self._base, floor_max_kappa=self._max, doubling_s=self._doubling,
            scarce_fill_rate=self._scarce, rate_half_life_s=self._rate_hl, targets=self._targets,
            started=self._started, last_ts=self._last_ts, level=self._level, fill_rate=self._rate,
            pending_fills=self._pending, fills=self._fills, fill_weight=self._fill_w,
            floor_observations=self._floor_obs, progress=self._progress, rejected=self._rejected,
        )  # fmt: skip

    def restore(self, state: WarmupState) -> None:
        self.__init__(  # type: ignore[misc]
            state.floor_kappa, state.floor_max_kappa, state.doubling_s, state.scarce_fill_rate,
            state.rate_half_life_s, state.targets,
        )  # fmt: skip
        self._started = state.started
        self._last_ts = state.last_ts
        self._level = state.level
        self._rate = state.fill_rate
        self._pending = state.pending_fills
        self._fills = state.fills
        self._fill_w = state.fill_weight
        self._floor_obs = state.floor_observations
        self._progress = state.progress
        self._rejected = state.rejected
