"""Kelly tracker: the growth-optimal fraction implied by our fills' markouts.

Each resolved fill is a win (markout PnL > 0, fees included) or a loss (< 0). With the
win probability ``p`` and the payoff ratio ``b = average win / average loss``, the Kelly
fraction is ``f = p - (1 - p) / b``, clipped to [-1, 1]. One pseudo-win and one
pseudo-loss of ``prior_bps`` each keep it finite and at 0 before any data.
"""

from __future__ import annotations

import math

from actors.estimators.common import MAX_BPS, State, count_confidence


class KellyState(State, frozen=True):
    prior_bps: float
    wins: int
    losses: int
    flat: int
    win_bps: float
    loss_bps: float
    rejected: int


class KellyTracker:
    """Wins and losses of fills by markout, and the Kelly fraction they give."""

    __slots__ = ("_prior", "_wins", "_losses", "_flat", "_win_bps", "_loss_bps", "_rejected")

    def __init__(self, prior_bps: float = 1.0) -> None:
        if not (prior_bps > 0.0 and math.isfinite(prior_bps)):
            raise ValueError("prior_bps must be positive and finite")
        self._prior = prior_bps
        self._wins = 0
        self._losses = 0
        self._flat = 0
        self._win_bps = 0.0
        self._loss_bps = 0.0
        self._rejected = 0

    def update(self, pnl_bps: float) -> bool:
        """One fill's markout PnL in bps; refuses NaN, infinities and moves beyond
        ``MAX_BPS`` (a hundredfold price change: bad data, not a fill)."""
        if not (-MAX_BPS <= pnl_bps <= MAX_BPS):
            self._rejected += 1
            return False
        if pnl_bps > 0.0:
            self._wins += 1
            self._win_bps += pnl_bps
        elif pnl_bps < 0.0:
            self._losses += 1
            self._loss_bps -= pnl_bps
        else:
            self._flat += 1
        return True

    @property
    def value(self) -> float:
        """The Kelly fraction, in [-1, 1]."""
        decided = self._wins + self._losses
        p = (self._wins + 1) / (decided + 2)
        avg_win = (self._win_bps + self._prior) / (self._wins + 1)
        avg_loss = (self._loss_bps + self._prior) / (self._losses + 1)
        f = p - (1.0 - p) * avg_loss / avg_win
        if not f > -1.0:  # also NaN, which the sums' overflow could give
            return -1.0
        return f if f < 1.0 else 1.0

    @property
    def win_rate(self) -> float:
        decided = self._wins + self._losses
        return self._wins / decided if decided else 0.0

    @property
    def observations(self) -> int:
        return self._wins + self._losses + self._flat

    @property
    def confidence(self) -> float:
        return count_confidence(self.observations)

    @property
    def rejected(self) -> int:
        return self._rejected

    def snapshot(self) -> KellyState:
        return KellyState(
            prior_bps=self._prior, wins=self._wins, losses=self._losses, flat=self._flat,
            win_bps=self._win_bps, loss_bps=self._loss_bps, rejected=self._rejected,
        )  # fmt: skip

    def restore(self, state: KellyState) -> None:
        self.__init__(state.prior_bps)  # type: ignore[misc]
        self._wins = state.wins
        self._losses = state.losses
        self._flat = state.flat
        self._win_bps = state.win_bps
        self._loss_bps = state.loss_bps
        self._rejected = state.rejected
